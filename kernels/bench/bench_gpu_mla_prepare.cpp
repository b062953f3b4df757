// The "gpu/" benchmarks of MLA's attention input preparation at the V2-Lite decode shape: the fused
// cuda_mla_prepare beside the separate launches it replaces (kv norm, two rotations, cache append,
// q_pe copy), and cuda_mla_prepare_absorb beside cuda_mla_prepare then the q absorb's skinny GEMM,
// each after checking once that the two ways write the same bits.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/bench/bench_gpu_util.h"
#include "kernels/bench/bench_util.h"
#include "kernels/gemm.h"
#include "kernels/mla_prepare.h"

namespace moebench {
namespace {

// V2-Lite: 16 heads of 128 nope + 64 rope dims, a 512 latent; q_lora_rank 0, so one projection
// writes [q (16 x 192) | latent | k_pe] per token.
constexpr int kHeads = 16, kNope = 128, kRope = 64, kLora = 512;
constexpr int64_t kQDim = int64_t{kHeads} * (kNope + kRope), kLat = kLora + kRope;
constexpr int64_t kProj = kQDim + kLat;

// Every token a decode row: one cache slot each, its roped q_pe copied beside the absorbed query.
struct MlaPrepareBench {
  int64_t tokens;
  DeviceBuffer<bf16_bits> proj, norm_w, cache, qcat;
  DeviceBuffer<int32_t> slots, positions;
  DeviceBuffer<float> inv_freq;
  MlaPrepareArgs args;

  explicit MlaPrepareBench(int64_t n)
      : tokens(n),
        proj(bench_gpu_random(n * kProj, 71, 1.0)),
        norm_w(bench_gpu_random(kLora, 72, 1.0)),
        cache(n * kLat),
        qcat(n * kHeads * kLat),
        slots(slot_ids(n)),
        positions(bench_random_ids(n, 4096, 73)),
        inv_freq(frequencies()) {
    args.n_tokens = n;
    args.kv = proj.data() + kQDim;
    args.kv_stride = kProj;
    args.kv_a_norm = norm_w.data();
    args.lora = kLora;
    args.slots = slots.data();
    args.cache = cache.data();
    args.cache_stride = kLat;
    args.q = proj.data();
    args.q_stride = kProj;
    args.n_heads = kHeads;
    args.head_stride = kNope + kRope;
    args.rot_offset = kNope;
    args.q_pe_out = qcat.data() + kLora;
    args.q_pe_token_stride = kHeads * kLat;
    args.q_pe_head_stride = static_cast<int>(kLat);
    args.n_pe_rows = n;
    args.positions = positions.data();
    args.inv_freq = inv_freq.data();
    args.rope_dim = kRope;
    args.pairing = RopePairing::pairs;
  }
  static std::vector<int32_t> slot_ids(int64_t n) {
    std::vector<int32_t> s(n);
    for (int64_t t = 0; t < n; ++t) s[t] = static_cast<int32_t>(n - 1 - t);
    return s;
  }
  static std::vector<float> frequencies() {
    std::vector<float> f(kRope / 2);
    for (int i = 0; i < kRope / 2; ++i) f[i] = std::pow(10000.0f, -2.0f * i / kRope);
    return f;
  }
  // Bytes either path must move: the latent and k_pe in, the cache row out, the rotated query dims
  // in and out, the q_pe copy out.
  double bytes() const {
    return 2.0 * tokens * (kLat + kLat + 2 * kHeads * kRope + kHeads * kRope);
  }
};

// Empty when the fused launch and the separate ones, each on fresh inputs, write the same cache and
// q_pe bits; else a one-line message.
std::string mla_prepare_check(int64_t n, cudaStream_t stream) {
  MlaPrepareBench fused(n), separate(n);
  cuda_mla_prepare(fused.args, stream);
  cuda_mla_prepare_separate(separate.args, stream);
  CUDA_CHECK(cudaStreamSynchronize(stream));
  if (fused.cache.download() != separate.cache.download()) {
    return "fused and separate cache rows differ";
  }
  if (fused.qcat.download() != separate.qcat.download()) return "fused and separate q_pe differ";
  return "";
}

void BM_gpu_mla_prepare(benchmark::State& state, bool fused) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const int64_t n = state.range(0);
  if (bench_gpu_check_due("mla_prepare/" + std::to_string(n))) {
    const std::string bad = mla_prepare_check(n, g.stream);
    if (!bad.empty()) {
      state.SkipWithError(bad.c_str());
      return;
    }
  }
  MlaPrepareBench b(n);
  // NOTE: the separate path norms and rotates kv in place, so its inputs drift over iterations;
  // the bytes and launches timed do not.
  auto launch = [&] {
    fused ? cuda_mla_prepare(b.args, g.stream) : cuda_mla_prepare_separate(b.args, g.stream);
  };
  if (!bench_gpu_first_launch(state, launch)) return;
  bench_gpu_run(state, false, b.bytes(), 0, launch);
}

// The decode rows' q absorb over b's queries into its qcat: q_nope[h] · W_UK[h] per head, W_UK[h]
// the first kNope rows of head h's (kNope + kNope) x kLora slice of a kv_b-shaped w.
GemmArgs absorb_args(MlaPrepareBench& b, const bf16_bits* w) {
  GemmArgs g;
  g.a = b.proj.data();
  g.lda = kProj;
  g.stride_a = kNope + kRope;
  g.b = w;
  g.ldb = kLora;
  g.b_transposed = false;
  g.stride_b = int64_t{2 * kNope} * kLora;
  g.c = b.qcat.data();
  g.ldc = kHeads * kLat;
  g.stride_c = kLat;
  g.m = b.tokens;
  g.n = kLora;
  g.k = kNope;
  g.batch = kHeads;
  g.algo = GemmAlgo::skinny;
  return g;
}

void prepare_absorb(MlaPrepareBench& b, const bf16_bits* w, bool fused, cudaStream_t s) {
  if (fused) {
    cuda_mla_prepare_absorb(b.args, absorb_args(b, w), s);
  } else {
    cuda_mla_prepare(b.args, s);
    cuda_gemm_skinny(absorb_args(b, w), s);
  }
}

void BM_gpu_mla_prepare_absorb(benchmark::State& state, bool fused) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const int64_t n = state.range(0);
  const DeviceBuffer<bf16_bits> w = bench_gpu_random(int64_t{kHeads} * 2 * kNope * kLora, 74, 1.0);
  if (bench_gpu_check_due("mla_prepare_absorb/" + std::to_string(n))) {
    MlaPrepareBench one(n), two(n);
    prepare_absorb(one, w.data(), true, g.stream);
    prepare_absorb(two, w.data(), false, g.stream);
    CUDA_CHECK(cudaStreamSynchronize(g.stream));
    if (one.cache.download() != two.cache.download() ||
        one.qcat.download() != two.qcat.download()) {
      state.SkipWithError("the one launch and the two write different cache or qcat bits");
      return;
    }
  }
  MlaPrepareBench b(n);
  auto launch = [&] { prepare_absorb(b, w.data(), fused, g.stream); };
  if (!bench_gpu_first_launch(state, launch)) return;
  // The prepare's bytes, W_UK's slices, the nope queries in and the absorbed ones out.
  const double absorb_bytes = 2.0 * (kHeads * kNope * kLora + n * kHeads * (kNope + kLora));
  // NOTE: cold L2 for W_UK's 2 MB, as the absorb GEMM's own benchmark.
  bench_gpu_run(state, true, b.bytes() + absorb_bytes, 2.0 * n * kHeads * kNope * kLora, launch);
}

const int kRegistered = [] {
  bench_gpu_register_fused_pair("gpu/mla_prepare_v2lite", BM_gpu_mla_prepare);
  bench_gpu_register_fused_pair_at("gpu/mla_prepare_absorb_v2lite", {1, 4},
                                   BM_gpu_mla_prepare_absorb);
  return 0;
}();

}  // namespace
}  // namespace moebench
