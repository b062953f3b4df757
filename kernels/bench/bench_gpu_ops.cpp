// The "gpu/" benchmarks of the engine's row ops: embedding gather, RMSNorm, SwiGLU, RoPE, each
// validated once against its CPU reference, hot and cold L2 (all are memory-bound).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/bench/bench_gpu_util.h"
#include "kernels/bench/bench_util.h"
#include "kernels/ops.h"
#include "kernels/reference.h"

namespace moebench {
namespace {

constexpr int64_t kVocab = 102400;  // V2-Lite vocab_size
constexpr int64_t kHidden = 2048;   // V2-Lite hidden_size

void bench_token_args(benchmark::internal::Benchmark* b) {
  b->ArgName("tokens")->Arg(1)->Arg(64)->Arg(4096);
}

// out (tokens, 2048) from V2-Lite's (102400, 2048) table: a copy, so each row must match exactly.
void BM_gpu_embedding(benchmark::State& state, bool cold, int) {
  if (!bench_gpu_ready(state)) return;
  const int64_t n = state.range(0);
  BenchGpu& g = bench_gpu();
  const DeviceBuffer<bf16_bits> table = bench_gpu_random(kVocab * kHidden, 31, 0.02);
  const std::vector<int32_t> ids = bench_random_ids(n, kVocab, 32);
  DeviceBuffer<int32_t> d_ids(ids);
  DeviceBuffer<bf16_bits> out(n * kHidden);
  auto launch = [&] {
    cuda_embedding_gather(d_ids.data(), n, table.data(), kVocab, kHidden, out.data(), nullptr,
                          g.stream);
  };
  launch();
  CUDA_CHECK(cudaStreamSynchronize(g.stream));
  if (bench_gpu_check_due("embedding/" + std::to_string(n))) {
    const std::vector<float> got = bench_gpu_download(out.data(), n * kHidden);
    for (int64_t t = 0; t < std::min<int64_t>(n, 256); ++t) {
      const std::vector<float> row = bench_gpu_download(table.data() + ids[t] * kHidden, kHidden);
      const std::vector<float> got_row(got.begin() + t * kHidden, got.begin() + (t + 1) * kHidden);
      if (got_row != row) {
        state.SkipWithError(
            ("embedding row " + std::to_string(t) + " is not its table row").c_str());
        return;
      }
    }
  }
  bench_gpu_run(state, cold, 2.0 * 2 * n * kHidden + 4.0 * n, 0, launch);
}

// A norm benchmark's inputs: x (rows, dim) and w (dim) on the host and the device, and y.
struct NormBench {
  int64_t rows, dim;
  std::vector<float> x, w;
  DeviceBuffer<bf16_bits> d_x, d_w, d_y;
  explicit NormBench(const benchmark::State& state)
      : rows(state.range(0)),
        dim(state.range(1)),
        x(bench_random_bf16(rows * dim, 33, -2.0f, 2.0f)),
        w(bench_random_bf16(dim, 34, 0.5f, 1.5f)),
        d_x(bf16_from_f32(x)),
        d_w(bf16_from_f32(w)),
        d_y(rows * dim) {}
  // y against the reference when a check is due; false (the benchmark skipped) when it differs.
  bool checked(benchmark::State& state, const std::string& kernel,
               const std::function<std::vector<float>()>& want) const {
    if (!bench_gpu_check_due(kernel + "/" + std::to_string(rows) + "/" + std::to_string(dim))) {
      return true;
    }
    const std::string bad = bench_compare(bf16_to_f32(d_y.download()), want(), 1e-2, 1e-2);
    if (!bad.empty()) state.SkipWithError(bad.c_str());
    return bad.empty();
  }
};

void BM_gpu_rmsnorm(benchmark::State& state, bool cold, int) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  NormBench n(state);
  auto launch = [&] {
    cuda_rmsnorm(n.d_x.data(), n.d_w.data(), n.rows, n.dim, 1e-6f, n.d_y.data(), g.stream);
  };
  launch();
  CUDA_CHECK(cudaStreamSynchronize(g.stream));
  if (!n.checked(state, "rmsnorm", [&] {
        std::vector<float> want;
        ref_rmsnorm(n.x, n.w, n.rows, n.dim, 1e-6f, want);
        return want;
      })) {
    return;
  }
  bench_gpu_run(state, cold, 2.0 * (2 * n.rows * n.dim + n.dim), 4.0 * n.rows * n.dim, launch);
}

// The engine's norm: residual (f32) += x, then the norm of it (bf16 out).
void BM_gpu_rmsnorm_residual_f32(benchmark::State& state, bool cold, int) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  NormBench n(state);
  DeviceBuffer<float> d_res(static_cast<size_t>(n.rows * n.dim));
  cuda_rmsnorm_residual_f32(d_res.data(), n.d_x.data(), true, n.d_w.data(), n.rows, n.dim, 1e-6f,
                            n.d_y.data(), nullptr, g.stream);
  CUDA_CHECK(cudaStreamSynchronize(g.stream));
  if (!n.checked(state, "rmsnorm_residual_f32", [&] {
        std::vector<float> res, want;
        ref_rmsnorm_residual_f32(res, n.x, true, n.w, n.rows, n.dim, 1e-6f, want);
        return want;
      })) {
    return;
  }
  // The timed launches add into the stream (the residual grows by x each time; bytes are bytes).
  auto launch = [&] {
    cuda_rmsnorm_residual_f32(d_res.data(), n.d_x.data(), false, n.d_w.data(), n.rows, n.dim, 1e-6f,
                              n.d_y.data(), nullptr, g.stream);
  };
  bench_gpu_run(state, cold, 2.0 * (2 * n.rows * n.dim + n.dim) + 8.0 * n.rows * n.dim,
                5.0 * n.rows * n.dim, launch);
}

void bench_rmsnorm_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "dim"})->ArgsProduct({{1, 64, 4096}, {2048, 7168}});
}

// The routed experts' activation: (tokens * top_k, inter) rows of a fused [gate | up] buffer.
void BM_gpu_swiglu(benchmark::State& state, bool cold, int shape) {
  if (!bench_gpu_ready(state)) return;
  const BenchMoeShape& m = kBenchMoeShapes[shape];
  const int64_t rows = state.range(0) * m.top_k, inter = m.inter;
  BenchGpu& g = bench_gpu();
  const std::vector<float> gu = bench_random_bf16(rows * 2 * inter, 35, -4.0f, 4.0f);
  DeviceBuffer<bf16_bits> d_gu(bf16_from_f32(gu)), d_out(rows * inter);
  auto launch = [&] {
    cuda_swiglu(d_gu.data(), 2 * inter, d_gu.data() + inter, 2 * inter, rows, inter, d_out.data(),
                g.stream);
  };
  launch();
  CUDA_CHECK(cudaStreamSynchronize(g.stream));
  if (bench_gpu_check_due(std::string("swiglu/") + m.name + "/" + std::to_string(rows))) {
    std::vector<float> want;
    ref_swiglu(gu.data(), 2 * inter, gu.data() + inter, 2 * inter, rows, inter, want);
    const std::string bad = bench_compare(bf16_to_f32(d_out.download()), want, 1e-2, 1e-2);
    if (!bad.empty()) {
      state.SkipWithError(bad.c_str());
      return;
    }
  }
  bench_gpu_run(state, cold, 2.0 * 3 * rows * inter, 6.0 * rows * inter, launch);
}

void bench_swiglu_args(benchmark::internal::Benchmark* b) {
  b->ArgName("tokens")->Arg(1)->Arg(64)->Arg(1024);
}

void BM_gpu_rope(benchmark::State& state, bool cold, int) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  BenchRopeCase rope = bench_rope_v2lite(state.range(0));
  RopeArgs& a = rope.args;
  const std::vector<float>& inv_freq = rope.inv_freq;
  const std::vector<int32_t>& pos = rope.positions;
  std::vector<float> x = bench_random_bf16(a.n_tokens * a.token_stride, 36, -1.0f, 1.0f);
  DeviceBuffer<bf16_bits> d_x(bf16_from_f32(x));
  DeviceBuffer<int32_t> d_pos(pos);
  DeviceBuffer<float> d_freq(inv_freq);
  a.x = d_x.data();
  a.positions = d_pos.data();
  a.inv_freq = d_freq.data();
  cuda_rope_apply(a, g.stream);  // NOTE: in place, so validate the first application only
  CUDA_CHECK(cudaStreamSynchronize(g.stream));
  if (bench_gpu_check_due("rope/" + std::to_string(a.n_tokens))) {
    ref_rope_apply(x, pos, inv_freq, a);
    const std::string bad = bench_compare(bf16_to_f32(d_x.download()), x, 1e-2, 1e-2);
    if (!bad.empty()) {
      state.SkipWithError(bad.c_str());
      return;
    }
  }
  const double rotated = static_cast<double>(a.n_tokens) * a.n_heads * a.dim;
  bench_gpu_run(state, cold, 2.0 * 2 * rotated, 3.0 * rotated,
                [&] { cuda_rope_apply(a, g.stream); });
}

const int kRegistered = [] {
  bench_gpu_register("embedding_gather", BM_gpu_embedding, bench_token_args, true);
  bench_gpu_register("rmsnorm", BM_gpu_rmsnorm, bench_rmsnorm_args, true);
  bench_gpu_register("rmsnorm_residual_f32", BM_gpu_rmsnorm_residual_f32, bench_rmsnorm_args, true);
  for (int s = 0; s < kBenchNumMoeShapes; ++s) {
    bench_gpu_register("swiglu", BM_gpu_swiglu, bench_swiglu_args, true, s);
  }
  bench_gpu_register("rope_v2lite_q", BM_gpu_rope, bench_token_args, true);
  return 0;
}();

}  // namespace
}  // namespace moebench
