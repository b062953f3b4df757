// cuda_sample: greedy / temperature -> top-k -> top-p -> one counter-based draw, one block per row,
// thresholds found exactly by bisection on the f32 order key; cuda_logprob_gather.
#include <cuda_runtime.h>

#include <climits>
#include <cstdint>

#include "kernels/bf16_device.cuh"
#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/pdl.cuh"
#include "kernels/sampling.h"

namespace moebench {
namespace {

constexpr int kWarp = 32;
constexpr int kThreads = 512;  // per row; a multiple of 32
constexpr int kWarps = kThreads / kWarp;
constexpr unsigned kFull = 0xffffffffu;

// ----------------------------------------------------------------------------
// GPU kernels

__device__ __forceinline__ int block_sum_int(int v) {
  __shared__ int warp_sums[kWarps];
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(kFull, v, o);
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  __syncthreads();  // NOTE: warp_sums may still be read by a previous call
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = lane < kWarps ? warp_sums[lane] : 0;
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(kFull, v, o);
  return v;
}

__device__ __forceinline__ float block_max(float v) {
  __shared__ float warp_max[kWarps];
  for (int o = kWarp / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFull, v, o));
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  __syncthreads();
  if (lane == 0) warp_max[warp] = v;
  __syncthreads();
  v = lane < kWarps ? warp_max[lane] : -INFINITY;
  for (int o = kWarp / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFull, v, o));
  return v;
}

// (v, i) beats (bv, bi): larger value, or equal value and lower id.
__device__ __forceinline__ bool beats(float v, int i, float bv, int bi) {
  return v > bv || (v == bv && i < bi);
}

// argmax over the non-NaN values of row (each divided by temperature when divide), lowest id on
// ties; 0 when every value is NaN. One pass.
// *non_finite (every thread) = whether the row holds a NaN or an infinity.
__device__ int block_argmax(const float* row, int vocab, float temperature, bool divide,
                            bool* non_finite) {
  __shared__ float warp_v[kWarps];
  __shared__ int warp_i[kWarps];
  float bv = -INFINITY;
  int bi = INT_MAX;
  int bad = 0;
  for (int i = threadIdx.x; i < vocab; i += kThreads) {
    bad |= !isfinite(row[i]);
    const float v = divide ? row[i] / temperature : row[i];
    if (!isnan(v) && beats(v, i, bv, bi)) {
      bv = v;
      bi = i;
    }
  }
  *non_finite = __syncthreads_or(bad) != 0;
  for (int o = kWarp / 2; o > 0; o >>= 1) {
    const float v = __shfl_xor_sync(kFull, bv, o);
    const int i = __shfl_xor_sync(kFull, bi, o);
    if (beats(v, i, bv, bi)) {
      bv = v;
      bi = i;
    }
  }
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  __syncthreads();
  if (lane == 0) {
    warp_v[warp] = bv;
    warp_i[warp] = bi;
  }
  __syncthreads();
  bv = lane < kWarps ? warp_v[lane] : -INFINITY;
  bi = lane < kWarps ? warp_i[lane] : INT_MAX;
  for (int o = kWarp / 2; o > 0; o >>= 1) {
    const float v = __shfl_xor_sync(kFull, bv, o);
    const int i = __shfl_xor_sync(kFull, bi, o);
    if (beats(v, i, bv, bi)) {
      bv = v;
      bi = i;
    }
  }
  return bi == INT_MAX ? 0 : bi;
}

// Inclusive prefix sum of v over the block in thread order; *total gets the block's sum.
__device__ __forceinline__ float block_scan(float v, float* total) {
  __shared__ float warp_tot[kWarps];
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  for (int o = 1; o < kWarp; o <<= 1) {
    const float u = __shfl_up_sync(kFull, v, o);
    if (lane >= o) v += u;
  }
  __syncthreads();
  if (lane == kWarp - 1) warp_tot[warp] = v;
  __syncthreads();
  float before = 0.0f, all = 0.0f;
  for (int w = 0; w < kWarps; ++w) {
    before += w < warp ? warp_tot[w] : 0.0f;
    all += warp_tot[w];
  }
  *total = all;
  return before + v;
}

// Number of threads before this one (thread order) with flag set; *total gets the block's count.
__device__ __forceinline__ int block_rank(bool flag, int* total) {
  __shared__ int warp_cnt[kWarps];
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const unsigned bits = __ballot_sync(kFull, flag);
  __syncthreads();
  if (lane == 0) warp_cnt[warp] = __popc(bits);
  __syncthreads();
  int before = __popc(bits & ((1u << lane) - 1u)), all = 0;
  for (int w = 0; w < kWarps; ++w) {
    before += w < warp ? warp_cnt[w] : 0;
    all += warp_cnt[w];
  }
  *total = all;
  return before;
}

// One sampled row's warped view: s = x / temperature, its key, and its unnormalized prob
// exp(s - m) where the key survives top-k (>= lo), else 0.
struct WarpedRow {
  const float* row;
  float temperature, m;
  uint32_t lo;
  __device__ __forceinline__ uint32_t key(int i) const {
    return sample_order_key(row[i] / temperature);
  }
  __device__ __forceinline__ float prob(int i, uint32_t k) const {
    return k >= lo ? expf(row[i] / temperature - m) : 0.0f;
  }
};

// Largest key t with count(key >= t) >= k: 32 passes.
__device__ uint32_t top_k_key(const WarpedRow& w, int vocab, int k) {
  uint32_t t = 0;
  for (int b = 31; b >= 0; --b) {
    const uint32_t c = t | (1u << b);
    int n = 0;
    for (int i = threadIdx.x; i < vocab; i += kThreads) n += w.key(i) >= c;
    if (block_sum_int(n) >= k) t = c;
  }
  return t;
}

// Largest key t with mass(key < t) <= thr: 32 passes.
__device__ uint32_t top_p_key(const WarpedRow& w, int vocab, float thr) {
  uint32_t t = 0;
  for (int b = 31; b >= 0; --b) {
    const uint32_t c = t | (1u << b);
    float mass = 0.0f;
    for (int i = threadIdx.x; i < vocab; i += kThreads) {
      const uint32_t k = w.key(i);
      mass += k < c ? w.prob(i, k) : 0.0f;
    }
    if (block_sum(mass) <= thr) t = c;
  }
  return t;
}

// The draw: the first kept id (id order) whose inclusive prefix mass exceeds target, else the last
// kept id. Kept: key >= lo and > v0, or == v0 with rank among the v0 ids >= n_drop.
__device__ int draw_scan(const WarpedRow& w, int vocab, uint32_t v0, int n_drop, float target) {
  __shared__ int found, last;
  if (threadIdx.x == 0) {
    found = INT_MAX;
    last = -1;
  }
  float run = 0.0f;
  int rank_base = 0;
  for (int base = 0; base < vocab; base += kThreads) {
    const int i = base + threadIdx.x;
    const uint32_t k = i < vocab ? w.key(i) : 0u;
    const bool tied = i < vocab && k == v0;
    int n_tied = 0;
    const int rank = rank_base + block_rank(tied, &n_tied);  // syncs: found / last are set
    const bool kept = i < vocab && k >= w.lo && k >= v0 && (!tied || rank >= n_drop);
    const float q = kept ? w.prob(i, k) : 0.0f;
    float tile = 0.0f;
    const float incl = block_scan(q, &tile);
    if (q > 0.0f) {
      if (target < run + incl) atomicMin(&found, i);
      atomicMax(&last, i);
    }
    run += tile;
    rank_base += n_tied;
    __syncthreads();
    if (found != INT_MAX) break;  // NOTE: uniform; the next write to found is past a sync
  }
  return found != INT_MAX ? found : (last >= 0 ? last : 0);
}

// One sampled row (temperature > 0): max, top-k key (32 passes), kept mass, top-p boundary (32 + 1
// passes), then the draw scan; each pass rereads the row (L2) rather than holding it, since a
// 152k vocab does not fit in shared memory.
// *non_finite (every thread) = whether the row holds a NaN or an infinity.
__device__ int sample_row(const SampleArgs& a, int64_t r, const float* row, float temperature,
                          bool* non_finite) {
  const int vocab = a.vocab;
  float m = -INFINITY;
  int bad = 0;
  for (int i = threadIdx.x; i < vocab; i += kThreads) {
    bad |= !isfinite(row[i]);
    m = fmaxf(m, row[i] / temperature);
  }
  *non_finite = __syncthreads_or(bad) != 0;
  m = block_max(m);
  if (!isfinite(m)) return block_argmax(row, vocab, temperature, true, non_finite);
  WarpedRow w{row, temperature, m, 1u};
  const uint32_t kmax = sample_order_key(m);
  const int top_k = a.top_k[r];
  if (top_k > 0 && top_k < vocab) w.lo = max(1u, top_k_key(w, vocab, top_k));
  float total = 0.0f;
  for (int i = threadIdx.x; i < vocab; i += kThreads) total += w.prob(i, w.key(i));
  total = block_sum(total);
  uint32_t v0 = 0;  // top-p boundary key
  int n_drop = 0;   // ids at v0 dropped, lowest ids first
  float mass = total;
  const float top_p = a.top_p[r];
  if (top_p < 1.0f) {
    const float thr = (1.0f - top_p) * total;
    v0 = min(top_p_key(w, vocab, thr), kmax);
    float below = 0.0f;
    int n_tied = 0;
    for (int i = threadIdx.x; i < vocab; i += kThreads) {
      const uint32_t k = w.key(i);
      below += k < v0 ? w.prob(i, k) : 0.0f;
      n_tied += k == v0;
    }
    below = block_sum(below);
    n_tied = block_sum_int(n_tied);
    const float p0 = expf(sample_key_value(v0) - m);
    const float q = p0 > 0.0f ? floorf((thr - below) / p0) : static_cast<float>(n_tied);
    n_drop = q >= static_cast<float>(n_tied) ? n_tied : (q > 0.0f ? static_cast<int>(q) : 0);
    if (v0 == kmax) n_drop = min(n_drop, n_tied - 1);
    mass = total - below - static_cast<float>(n_drop) * p0;
  }
  const float target = sample_uniform(a.seed[r], a.draw[r]) * mass;
  return draw_scan(w, vocab, v0, n_drop, target);
}

// out[r] for row r = blockIdx.x.
__global__ void sample_kernel(SampleArgs a) {
  pdl_wait();
  pdl_trigger();
  const int64_t r = blockIdx.x;
  const float* row = a.logits + r * a.ld;
  const float temperature = a.temperature[r];
  int id = 0;
  bool non_finite = false;
  if (!(temperature > 0.0f)) {
    // greedy: the logits' writer's pick (thread 0 alone reads it, then resets it), or the one pass
    if (a.argmax != nullptr) {
      if (threadIdx.x == 0) {
        const uint64_t key = a.argmax[r];
        id = sample_argmax_id(key);
        non_finite = !sample_argmax_key_finite(key);
      }
    } else {
      id = block_argmax(row, a.vocab, 1.0f, false, &non_finite);
    }
  } else {
    id = sample_row(a, r, row, temperature, &non_finite);
  }
  if (threadIdx.x == 0) {
    a.out[r] = id;
    if (a.non_finite != nullptr) a.non_finite[r] = non_finite ? 1 : 0;
    if (a.argmax != nullptr) a.argmax[r] = 0;
  }
}

// logprob[r] = row[t] - m - log(sum exp(row - m)) for row r = blockIdx.x; two passes.
__global__ void logprob_kernel(const float* logits, int64_t ld, int vocab, const int32_t* targets,
                               float* logprob) {
  const int64_t r = blockIdx.x;
  const float* row = logits + r * ld;
  float m = -INFINITY;
  for (int i = threadIdx.x; i < vocab; i += kThreads) m = fmaxf(m, row[i]);
  m = block_max(m);
  float sum = 0.0f;
  for (int i = threadIdx.x; i < vocab; i += kThreads) sum += expf(row[i] - m);
  sum = block_sum(sum);
  if (threadIdx.x == 0) {
    const int32_t t = targets[r];
    logprob[r] = t >= 0 && t < vocab ? row[t] - m - logf(sum) : NAN;
  }
}

// ----------------------------------------------------------------------------
// Launchers

void check_rows(const char* fn, const float* logits, int64_t ld, int64_t n_rows, int vocab) {
  launch_require(n_rows >= 0 && n_rows <= INT32_MAX, fn, "n_rows must be in [0, 2^31), got ",
                 n_rows);
  launch_require(vocab > 0, fn, "vocab must be > 0, got ", vocab);
  launch_require(ld >= vocab, fn, "ld must be >= vocab ", vocab, ", got ", ld);
  launch_require(n_rows == 0 || logits != nullptr, fn, "logits is null");
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entries

void cuda_sample(const SampleArgs& args, cudaStream_t stream) {
  const char* fn = "cuda_sample";
  check_rows(fn, args.logits, args.ld, args.n_rows, args.vocab);
  launch_require(args.n_rows == 0 || (args.temperature != nullptr && args.top_p != nullptr &&
                                      args.top_k != nullptr && args.seed != nullptr &&
                                      args.draw != nullptr && args.out != nullptr),
                 fn, "null pointer: temperature=", args.temperature, " top_p=", args.top_p,
                 " top_k=", args.top_k, " seed=", args.seed, " draw=", args.draw,
                 " out=", args.out);
  if (args.n_rows == 0) return;
  pdl_launch(sample_kernel, dim3(static_cast<unsigned>(args.n_rows)), dim3(kThreads), 0, stream,
             args);
  KERNEL_CHECK();
}

void cuda_logprob_gather(const float* logits, int64_t ld, int64_t n_rows, int vocab,
                         const int32_t* targets, float* logprob, cudaStream_t stream) {
  const char* fn = "cuda_logprob_gather";
  check_rows(fn, logits, ld, n_rows, vocab);
  launch_require(n_rows == 0 || (targets != nullptr && logprob != nullptr), fn,
                 "null pointer: targets=", targets, " logprob=", logprob);
  if (n_rows == 0) return;
  logprob_kernel<<<static_cast<unsigned>(n_rows), kThreads, 0, stream>>>(logits, ld, vocab, targets,
                                                                         logprob);
  KERNEL_CHECK();
}

}  // namespace moebench
