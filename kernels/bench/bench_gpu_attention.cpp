// The "gpu/" attention benchmarks: varlen causal prefill (Qwen3-30B-A3B GQA, V2-Lite MLA prefill
// heads) and paged decode (Qwen3 GQA, V2-Lite absorbed MLA over one shared latent cache), each
// checked on sampled (sequence, head) rows against a double softmax by hand before timing.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/attention.h"
#include "kernels/bench/bench_gpu_util.h"
#include "kernels/bench/bench_util.h"

namespace moebench {
namespace {

// Attention heads of one model: q heads, kv heads, key and value widths, the latent cache flag.
struct BenchAttn {
  const char* name;
  int heads, kv_heads, dk, dv;
  bool shared_kv;  // MLA absorbed decode: V is the first dv values of the K row
};
constexpr BenchAttn kPrefill[] = {{"qwen3_30b_a3b", 32, 4, 128, 128, false},
                                  {"v2lite_mla", 16, 16, 192, 128, false}};
constexpr BenchAttn kDecode[] = {{"qwen3_30b_a3b", 32, 4, 128, 128, false},
                                 {"v2lite_mla", 16, 1, 576, 512, true}};

// softmax(scale * q . k_j) weighted v_j over the n keys, double; k_j at keys[j], v_j at vals[j].
std::vector<double> bench_softmax_row(const float* q, const std::vector<const float*>& keys,
                                      const std::vector<const float*>& vals, int dk, int dv,
                                      float scale) {
  std::vector<double> p(keys.size()), out(dv, 0.0);
  double mx = -INFINITY, sum = 0;
  for (size_t j = 0; j < keys.size(); ++j) {
    double dot = 0;
    for (int d = 0; d < dk; ++d) dot += static_cast<double>(q[d]) * keys[j][d];
    mx = std::max(mx, p[j] = scale * dot);
  }
  for (double& v : p) sum += (v = std::exp(v - mx));
  for (size_t j = 0; j < keys.size(); ++j) {
    for (int d = 0; d < dv; ++d) out[d] += p[j] / sum * vals[j][d];
  }
  return out;
}

// Empty when got (dv) is within 2e-2 of want, else a message naming the row and the worst dim.
std::string bench_check_row(const std::vector<float>& got, const std::vector<double>& want,
                            const std::string& where) {
  for (size_t d = 0; d < want.size(); ++d) {
    if (!(std::abs(got[d] - want[d]) <= 2e-2 + 2e-2 * std::abs(want[d]))) {
      return where + " dim " + std::to_string(d) + ": got " + std::to_string(got[d]) + ", want " +
             std::to_string(want[d]);
    }
  }
  return {};
}

// Empty when sampled (seq, query, head) rows of the packed prefill output `out` match the causal
// softmax by hand; q, k, v are the host inputs and cu the sequence starts (all seqs equal length).
std::string bench_check_prefill(const BenchAttn& m, const std::vector<float>& q,
                                const std::vector<float>& k, const std::vector<float>& v,
                                const std::vector<int32_t>& cu, const std::vector<float>& out,
                                float scale) {
  const int n_seqs = static_cast<int>(cu.size()) - 1, len = cu[1] - cu[0];
  for (uint64_t i = 0; i < 8; ++i) {
    const int s = static_cast<int>(i % n_seqs), t = static_cast<int>(splitmix64_mix(i) % len);
    const int h = static_cast<int>(splitmix64_mix(i + 100) % m.heads);
    const int kvh = h / (m.heads / m.kv_heads), row = cu[s] + t;
    std::vector<const float*> keys, vals;
    for (int j = 0; j <= t; ++j) {  // causal: query t sees keys 0..t of its sequence
      keys.push_back(k.data() + (int64_t{cu[s] + j} * m.kv_heads + kvh) * m.dk);
      vals.push_back(v.data() + (int64_t{cu[s] + j} * m.kv_heads + kvh) * m.dv);
    }
    const std::vector<double> want = bench_softmax_row(
        q.data() + (int64_t{row} * m.heads + h) * m.dk, keys, vals, m.dk, m.dv, scale);
    const auto first = out.begin() + (int64_t{row} * m.heads + h) * m.dv;
    const std::string bad =
        bench_check_row(std::vector<float>(first, first + m.dv), want,
                        "prefill row " + std::to_string(row) + " head " + std::to_string(h));
    if (!bad.empty()) return bad;
  }
  return {};
}

// The prefill kernels a benchmark runs, with their name suffixes.
enum class PrefillKernel { smem, mma, wgmma, fa3 };
const char* prefill_suffix(PrefillKernel k) {
  switch (k) {
    case PrefillKernel::smem:
      return "";
    case PrefillKernel::mma:
      return "/mma";
    case PrefillKernel::wgmma:
      return "/wgmma";
    case PrefillKernel::fa3:
      return "/fa3";
  }
  return "";
}

// n_seqs sequences of state.range(0) tokens each, packed heads, causal, scale 1/sqrt(dk); on the
// shared-memory kernel, the register-tile one (mma) or the warpgroup-MMA ones (wgmma on cp.async,
// fa3 with a TMA producer: skipped, visibly, where the device or build has no sm_90a code).
void BM_gpu_prefill(benchmark::State& state, int model, PrefillKernel kernel) {
  if (!bench_gpu_ready(state)) return;
  const bool sm90a = kernel == PrefillKernel::wgmma || kernel == PrefillKernel::fa3;
  if (sm90a && !cuda_prefill_attention_wgmma_available()) {
    state.SkipWithError(
        "no sm_90a code for this device (the wgmma prefill kernels need a Hopper GPU and a "
        "-DCMAKE_CUDA_ARCHITECTURES=90a build)");
    return;
  }
  const BenchAttn& m = kPrefill[model];
  const int n_seqs = 4, len = static_cast<int>(state.range(0)), total = n_seqs * len;
  const std::vector<float> q = bench_random_bf16(int64_t{total} * m.heads * m.dk, 71, -1, 1);
  const std::vector<float> k = bench_random_bf16(int64_t{total} * m.kv_heads * m.dk, 72, -1, 1);
  const std::vector<float> v = bench_random_bf16(int64_t{total} * m.kv_heads * m.dv, 73, -1, 1);
  std::vector<int32_t> cu(n_seqs + 1);
  for (int s = 0; s <= n_seqs; ++s) cu[s] = s * len;
  DeviceBuffer<bf16_bits> d_q(bf16_from_f32(q)), d_k(bf16_from_f32(k)), d_v(bf16_from_f32(v));
  DeviceBuffer<bf16_bits> d_out(int64_t{total} * m.heads * m.dv);
  DeviceBuffer<int32_t> d_cu(cu);
  PrefillAttentionArgs a;
  a.q = d_q.data();
  a.k = d_k.data();
  a.v = d_v.data();
  a.out = d_out.data();
  a.q_stride = int64_t{m.heads} * m.dk;
  a.k_stride = int64_t{m.kv_heads} * m.dk;
  a.v_stride = int64_t{m.kv_heads} * m.dv;
  a.out_stride = int64_t{m.heads} * m.dv;
  a.cu_q = a.cu_k = d_cu.data();
  a.n_seqs = n_seqs;
  a.max_q = len;
  a.total_k = total;
  a.n_heads = m.heads;
  a.n_kv_heads = m.kv_heads;
  a.dk = m.dk;
  a.dv = m.dv;
  a.scale = 1.0f / std::sqrt(static_cast<float>(m.dk));
  auto launch = [&] {
    switch (kernel) {
      case PrefillKernel::smem:
        cuda_prefill_attention(a, bench_gpu().stream);
        break;
      case PrefillKernel::mma:
        cuda_prefill_attention_mma(a, bench_gpu().stream);
        break;
      case PrefillKernel::wgmma:
        cuda_prefill_attention_wgmma(a, bench_gpu().stream);
        break;
      case PrefillKernel::fa3:
        cuda_prefill_attention_fa3(a, bench_gpu().stream);
        break;
    }
  };
  if (!bench_gpu_first_launch(state, launch)) return;
  if (bench_gpu_check_due(std::string("prefill/") + m.name + "/" + std::to_string(len) +
                          prefill_suffix(kernel))) {
    const std::string bad =
        bench_check_prefill(m, q, k, v, cu, bf16_to_f32(d_out.download()), a.scale);
    if (!bad.empty()) {
      state.SkipWithError(bad.c_str());
      return;
    }
  }
  const double pairs = double(n_seqs) * len * (len + 1) / 2;  // causal (query, key) pairs
  const double bytes =
      2.0 * total * (a.q_stride + a.k_stride + a.v_stride + a.out_stride);  // each once
  bench_gpu_run(state, false, bytes, 2.0 * pairs * m.heads * (m.dk + m.dv), launch);
}

struct DecodeCase {
  DecodeAttentionArgs a;
  std::vector<int32_t> table;  // (n_seqs, max_pages_per_seq), shuffled over the pool
  DeviceBuffer<bf16_bits> q, k, v, out;
  DeviceBuffer<int32_t> d_table, d_lens;
  DeviceBuffer<uint8_t> workspace;
};

void bench_make_decode(DecodeCase& c, const BenchAttn& m, int n_seqs, int len) {
  DecodeAttentionArgs& a = c.a;
  a.n_seqs = n_seqs;
  a.n_heads = m.heads;
  a.n_kv_heads = m.kv_heads;
  a.dk = m.dk;
  a.dv = m.dv;
  a.page_size = 64;
  a.max_pages_per_seq = (len + a.page_size - 1) / a.page_size;
  a.max_seq_len = len;
  a.q_stride = int64_t{m.heads} * m.dk;
  a.out_stride = int64_t{m.heads} * m.dv;
  a.k_token_stride = int64_t{m.kv_heads} * m.dk;
  a.v_token_stride = m.shared_kv ? a.k_token_stride : int64_t{m.kv_heads} * m.dv;
  a.scale = 1.0f / std::sqrt(m.shared_kv ? 192.0f : static_cast<float>(m.dk));
  const int n_pages = n_seqs * a.max_pages_per_seq;
  c.table.resize(n_pages);
  for (int i = 0; i < n_pages; ++i) c.table[i] = i;
  for (int i = n_pages - 1; i > 0; --i) {
    std::swap(c.table[i], c.table[splitmix64_mix(i) % static_cast<uint64_t>(i + 1)]);
  }
  const int64_t slots = int64_t{n_pages} * a.page_size;
  c.q = bench_gpu_random(n_seqs * a.q_stride, 74, 1.0);
  c.k = bench_gpu_random(slots * a.k_token_stride, 75, 1.0);
  if (!m.shared_kv) c.v = bench_gpu_random(slots * a.v_token_stride, 76, 1.0);
  c.out = DeviceBuffer<bf16_bits>(n_seqs * a.out_stride);
  c.d_table = DeviceBuffer<int32_t>(c.table);
  c.d_lens = DeviceBuffer<int32_t>(std::vector<int32_t>(n_seqs, len));
  c.workspace = DeviceBuffer<uint8_t>(
      decode_attention_workspace_bytes(n_seqs, m.heads, m.dv, len, a.page_size));
  a.q = c.q.data();
  a.k_cache = c.k.data();
  a.v_cache = m.shared_kv ? c.k.data() : c.v.data();
  a.block_table = c.d_table.data();
  a.seq_lens = c.d_lens.data();
  a.out = c.out.data();
  a.workspace = c.workspace.size() > 0 ? c.workspace.data() : nullptr;
}

// Empty when sampled (seq, head) rows of the decode output match the softmax by hand.
std::string bench_check_decode(const DecodeCase& c) {
  const DecodeAttentionArgs& a = c.a;
  const int group = a.n_heads / a.n_kv_heads;
  for (uint64_t i = 0; i < 4; ++i) {
    const int s = static_cast<int>(splitmix64_mix(i) % a.n_seqs);
    const int h = static_cast<int>(splitmix64_mix(i + 50) % a.n_heads), kvh = h / group;
    const std::vector<float> q = bench_gpu_download(a.q + s * a.q_stride + h * a.dk, a.dk);
    // The sequence's pages, one copy each: (pages, page_size, token_stride) on the host.
    const int64_t k_page = a.page_size * a.k_token_stride, v_page = a.page_size * a.v_token_stride;
    std::vector<float> k_rows, v_rows;
    for (int pg = 0; pg < a.max_pages_per_seq; ++pg) {
      const int64_t page = c.table[s * a.max_pages_per_seq + pg];
      const std::vector<float> kp = bench_gpu_download(a.k_cache + page * k_page, k_page);
      const std::vector<float> vp = bench_gpu_download(a.v_cache + page * v_page, v_page);
      k_rows.insert(k_rows.end(), kp.begin(), kp.end());
      v_rows.insert(v_rows.end(), vp.begin(), vp.end());
    }
    std::vector<const float*> keys, vals;
    for (int pos = 0; pos < a.max_seq_len; ++pos) {
      keys.push_back(k_rows.data() + pos * a.k_token_stride + kvh * a.dk);
      vals.push_back(v_rows.data() + pos * a.v_token_stride + kvh * a.dv);
    }
    const std::vector<double> want = bench_softmax_row(q.data(), keys, vals, a.dk, a.dv, a.scale);
    const std::vector<float> got = bench_gpu_download(a.out + s * a.out_stride + h * a.dv, a.dv);
    const std::string bad = bench_check_row(
        got, want, "decode seq " + std::to_string(s) + " head " + std::to_string(h));
    if (!bad.empty()) return bad;
  }
  return {};
}

// args: (batch, seq_len); every sequence holds seq_len keys.
void BM_gpu_decode(benchmark::State& state, bool cold, int model, bool tensor_cores) {
  if (!bench_gpu_ready(state)) return;
  const BenchAttn& m = kDecode[model];
  DecodeCase c;
  const int n_seqs = static_cast<int>(state.range(0)), len = static_cast<int>(state.range(1));
  auto launch = [&] { cuda_decode_attention(c.a, bench_gpu().stream); };
  if (!bench_gpu_first_launch(state, [&] {
        bench_make_decode(c, m, n_seqs, len);
        c.a.tensor_cores = tensor_cores;
        launch();
      })) {
    return;
  }
  const std::string key = std::string("decode/") + m.name + "/" + std::to_string(n_seqs) + "/" +
                          std::to_string(len) + (tensor_cores ? "/tc" : "");
  const std::string bad = bench_gpu_check_due(key) ? bench_check_decode(c) : std::string();
  if (!bad.empty()) {
    state.SkipWithError(bad.c_str());
    return;
  }
  const double keys = double(n_seqs) * len;
  const double kv_row_bytes = 2.0 * (c.a.k_token_stride + (m.shared_kv ? 0 : c.a.v_token_stride));
  const double bytes = keys * kv_row_bytes + 2.0 * n_seqs * (c.a.q_stride + c.a.out_stride);
  bench_gpu_run(state, cold, bytes, 2.0 * keys * m.heads * (m.dk + m.dv), launch);
}

const int kRegistered = [] {
  for (int p = 0; p < 2; ++p) {
    for (PrefillKernel k :
         {PrefillKernel::smem, PrefillKernel::mma, PrefillKernel::wgmma, PrefillKernel::fa3}) {
      bench_gpu_register_fn(std::string("gpu/prefill_attention/") + kPrefill[p].name +
                                prefill_suffix(k) + (k == PrefillKernel::smem ? "/hot" : "_hot"),
                            BM_gpu_prefill, p, k)
          ->ArgName("seq")
          ->Arg(512)
          ->Arg(2048);
    }
  }
  // The MLA latent also on tensor cores ("tc_": cuda_decode_attention's tensor_cores).
  for (int d = 0; d < 2; ++d) {
    for (const bool tc : {false, true}) {
      if (tc && !kDecode[d].shared_kv) continue;
      for (const bool cold : {false, true}) {
        bench_gpu_register_fn(std::string("gpu/decode_attention/") + kDecode[d].name + "/" +
                                  (tc ? "tc_" : "") + (cold ? "cold" : "hot"),
                              BM_gpu_decode, cold, d, tc)
            ->ArgNames({"batch", "seq"})
            ->ArgsProduct({{1, 16, 64}, {1024, 4096}});
      }
    }
  }
  return 0;
}();

}  // namespace
}  // namespace moebench
