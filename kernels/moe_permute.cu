// cuda_moe_permute / cuda_moe_combine: stable expert grouping of routed slots with the row gather,
// and the deterministic weighted combine back to token order.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/bf16_device.cuh"
#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/moe_permute.h"
#include "kernels/pdl.cuh"

namespace moebench {
namespace {

constexpr int kWarp = 32;
constexpr int kPlaceThreads = 512;
constexpr int kPlaceWarps = kPlaceThreads / kWarp;
constexpr int kPlaceItems = 8;  // slots per thread per tile of pass 2
constexpr int kPlaceTile = kPlaceThreads * kPlaceItems;
constexpr int kRowThreads = 256;  // at most; rows of fewer units use fewer
constexpr int kMaxExperts = kMoeMaxExperts;
constexpr int kMaxGridY = 65535;
constexpr int64_t kMaxSlots = int64_t{1} << 30;
constexpr unsigned kFull = 0xffffffffu;

// ----------------------------------------------------------------------------
// GPU kernels

// Sum of an int over the block; every thread gets it. blockDim.x is a multiple of 32.
__device__ __forceinline__ int block_sum_int(int v) {
  __shared__ int warp_sums[32];
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(kFull, v, o);
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  __syncthreads();  // NOTE: warp_sums may still be read by a previous call
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = lane < static_cast<int>(blockDim.x / kWarp) ? warp_sums[lane] : 0;
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(kFull, v, o);
  return v;
}

// Block e places expert e's slots: pass 1 counts the valid slots routed below e (its first perm
// row) and to e; pass 2 walks the slots in flat order, kPlaceTile at a time (item j of thread i is
// slot tile + j * kPlaceThreads + i, so loads coalesce), and ranks the slots of e by ballot
// prefixes in slot order, so the placement is stable without order-dependent atomics. Block 0
// also marks slots with an out-of-range id (slot_to_perm = -1).
// NOTE: every block reads all n_slots ids (twice, from L2): n_experts * 8 bytes per slot, small
// next to the row gather (4 * hidden bytes per slot) for the supported shapes.
__global__ void __launch_bounds__(kPlaceThreads)
    moe_place_kernel(MoePermuteArgs a, int32_t n_slots) {
  __shared__ int warp_counts[kPlaceItems][kPlaceWarps];
  pdl_wait();
  pdl_trigger();
  const int e = blockIdx.x;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  int below = 0, mine = 0, bad = 0;
  for (int32_t s = threadIdx.x; s < n_slots; s += kPlaceThreads) {
    const int32_t id = a.topk_ids[s];
    below += id >= 0 && id < e;
    mine += id == e;
    bad += id < 0 || id >= a.n_experts;
  }
  below = block_sum_int(below);
  mine = block_sum_int(mine);
  bad = block_sum_int(bad);
  if (threadIdx.x == 0) {
    a.offsets[e] = below;
    if (e == a.n_experts - 1) a.offsets[a.n_experts] = below + mine;
  }
  const bool mark_bad = e == 0 && bad > 0;
  if (mine == 0 && !mark_bad) return;  // uniform over the block
  int32_t next_row = below;
  const unsigned lanes_before = (1u << lane) - 1u;
  for (int32_t base = 0; base < n_slots; base += kPlaceTile) {
    int32_t id[kPlaceItems];
    unsigned hits[kPlaceItems];
#pragma unroll
    for (int j = 0; j < kPlaceItems; ++j) {
      const int32_t s = base + j * kPlaceThreads + threadIdx.x;
      id[j] = s < n_slots ? a.topk_ids[s] : -1;
    }
#pragma unroll
    for (int j = 0; j < kPlaceItems; ++j) {
      hits[j] = __ballot_sync(kFull, id[j] == e);
      if (lane == 0) warp_counts[j][warp] = __popc(hits[j]);
    }
    __syncthreads();
#pragma unroll
    for (int j = 0; j < kPlaceItems; ++j) {
      int before = __popc(hits[j] & lanes_before), item_total = 0;
      for (int w = 0; w < kPlaceWarps; ++w) {
        before += w < warp ? warp_counts[j][w] : 0;
        item_total += warp_counts[j][w];
      }
      const int32_t s = base + j * kPlaceThreads + threadIdx.x;
      if (id[j] == e) {
        const int32_t r = next_row + before;
        a.perm_to_slot[r] = s;
        a.slot_to_perm[s] = r;
      } else if (mark_bad && s < n_slots && (id[j] < 0 || id[j] >= a.n_experts)) {
        a.slot_to_perm[s] = -1;
      }
      next_row += item_total;
    }
    __syncthreads();  // warp_counts is rewritten by the next tile
  }
}

// V bf16 values moved as one word: 8 as uint4 (16-byte aligned rows), or 1 as uint16_t.
template <int V>
struct Vec;
template <>
struct Vec<8> {
  using T = uint4;
};
template <>
struct Vec<1> {
  using T = uint16_t;
};

// x_perm[r] = x[perm_to_slot[r] / top_k]; block (r, y) copies units [y * blockDim, ...) of row r.
// Rows past offsets[n_experts] (dropped slots) are left alone.
template <int V>
__global__ void moe_gather_kernel(MoePermuteArgs a) {
  using T = typename Vec<V>::T;
  const int32_t r = blockIdx.x;
  if (r >= a.offsets[a.n_experts]) return;
  const int64_t units = a.hidden / V;
  const int64_t u = static_cast<int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (u >= units) return;
  const int64_t t = a.perm_to_slot[r] / a.top_k;
  const T* src = reinterpret_cast<const T*>(a.x + t * a.ld_x);
  T* dst = reinterpret_cast<T*>(a.x_perm + static_cast<int64_t>(r) * a.hidden);
  dst[u] = src[u];
}

__device__ __forceinline__ void load_f32(const uint4& w, float (&f)[8]) { unpack8(w, f); }

__device__ __forceinline__ void load_f32(const uint16_t& w, float (&f)[1]) {
  f[0] = __uint_as_float(static_cast<uint32_t>(w) << 16);
}

__device__ __forceinline__ uint16_t round_bits(float v) {
  return __bfloat16_as_ushort(__float2bfloat16_rn(v));
}

__device__ __forceinline__ void store_bf16(const float (&f)[8], uint4& w) {
  uint32_t words[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    words[i] = static_cast<uint32_t>(round_bits(f[2 * i])) |
               (static_cast<uint32_t>(round_bits(f[2 * i + 1])) << 16);
  }
  w = make_uint4(words[0], words[1], words[2], words[3]);
}

__device__ __forceinline__ void store_bf16(const float (&f)[1], uint16_t& w) {
  w = round_bits(f[0]);
}

// out[t] (+)= sum_j w[t, j] * y_perm[slot_to_perm[t, j]]; block (t, y) does units
// [y * blockDim, ...) of token t, V values per thread, summing j in order (the reference's order).
template <int V>
__global__ void moe_combine_kernel(MoeCombineArgs a) {
  using T = typename Vec<V>::T;
  pdl_wait();
  pdl_trigger();
  const int64_t t = blockIdx.x;
  const int64_t u = static_cast<int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (u >= a.hidden / V) return;
  T* dst = reinterpret_cast<T*>(a.out + t * a.ld_out) + u;
  float acc[V];
  if (a.accumulate) {
    load_f32(*dst, acc);
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i) acc[i] = 0.0f;
  }
  for (int j = 0; j < a.top_k; ++j) {
    const int32_t r = a.slot_to_perm[t * a.top_k + j];
    if (r < 0) continue;
    const float w = a.weights[t * a.top_k + j];
    float y[V];
    load_f32(reinterpret_cast<const T*>(a.y_perm + static_cast<int64_t>(r) * a.hidden)[u], y);
#pragma unroll
    for (int i = 0; i < V; ++i) acc[i] = fmaf(w, y[i], acc[i]);
  }
  store_bf16(acc, *dst);
}

// ----------------------------------------------------------------------------
// Launchers

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Threads per row block: the row's units rounded up to a warp, at most kRowThreads.
int row_threads(int64_t units) {
  const int64_t t = (units + kWarp - 1) / kWarp * kWarp;
  return static_cast<int>(t < kRowThreads ? t : kRowThreads);
}

template <int V>
void moe_gather_launch(const MoePermuteArgs& a, int64_t n_slots, cudaStream_t stream) {
  const int64_t units = a.hidden / V;
  const int threads = row_threads(units);
  const dim3 grid(static_cast<unsigned>(n_slots),
                  static_cast<unsigned>((units + threads - 1) / threads));
  moe_gather_kernel<V><<<grid, threads, 0, stream>>>(a);
  KERNEL_CHECK();
}

template <int V>
void moe_combine_launch(const MoeCombineArgs& a, cudaStream_t stream) {
  const int64_t units = a.hidden / V;
  const int threads = row_threads(units);
  const dim3 grid(static_cast<unsigned>(a.n_tokens),
                  static_cast<unsigned>((units + threads - 1) / threads));
  pdl_launch(moe_combine_kernel<V>, grid, threads, 0, stream, a);
  KERNEL_CHECK();
}

void moe_permute_check(const MoePermuteArgs& a) {
  const char* fn = "cuda_moe_permute";
  launch_require(a.top_k > 0 && a.top_k <= kMoeMaxTopK, fn, "top_k must be in [1, ", kMoeMaxTopK,
                 "], got ", a.top_k);
  launch_require(a.n_experts > 0 && a.n_experts <= kMaxExperts, fn, "n_experts must be in [1, ",
                 kMaxExperts, "], got ", a.n_experts);
  // NOTE: 2^30 keeps the int32 slot index of a pass-2 tile (base + kPlaceTile) from overflowing.
  launch_require(a.n_tokens >= 0 && a.n_tokens * a.top_k <= kMaxSlots, fn,
                 "n_tokens * top_k must be in [0, 2^30], got n_tokens ", a.n_tokens, " top_k ",
                 a.top_k);
  launch_require(a.hidden > 0 && a.hidden <= int64_t{kMaxGridY} * kRowThreads, fn,
                 "hidden must be in [1, ", int64_t{kMaxGridY} * kRowThreads, "], got ", a.hidden);
  launch_require(a.ld_x >= a.hidden, fn, "ld_x must be >= hidden ", a.hidden, ", got ", a.ld_x);
  // NOTE: x_perm null = place only, and then x is not read.
  launch_require(
      a.n_tokens == 0 ||
          (a.topk_ids != nullptr && (a.x != nullptr || a.x_perm == nullptr) &&
           a.offsets != nullptr && a.perm_to_slot != nullptr && a.slot_to_perm != nullptr),
      fn, "null pointer: topk_ids=", a.topk_ids, " x=", a.x, " offsets=", a.offsets,
      " perm_to_slot=", a.perm_to_slot, " slot_to_perm=", a.slot_to_perm, " x_perm=", a.x_perm);
  launch_require(a.n_tokens > 0 || a.offsets != nullptr, fn, "offsets must not be null");
}

void moe_combine_check(const MoeCombineArgs& a) {
  const char* fn = "cuda_moe_combine";
  launch_require(a.top_k > 0 && a.top_k <= kMoeMaxTopK, fn, "top_k must be in [1, ", kMoeMaxTopK,
                 "], got ", a.top_k);
  launch_require(a.n_tokens >= 0 && a.n_tokens * a.top_k <= INT32_MAX, fn,
                 "n_tokens * top_k must be in [0, 2^31), got n_tokens ", a.n_tokens, " top_k ",
                 a.top_k);
  launch_require(a.hidden > 0 && a.hidden <= int64_t{kMaxGridY} * kRowThreads, fn,
                 "hidden must be in [1, ", int64_t{kMaxGridY} * kRowThreads, "], got ", a.hidden);
  launch_require(a.ld_out >= a.hidden, fn, "ld_out must be >= hidden ", a.hidden, ", got ",
                 a.ld_out);
  launch_require(a.n_tokens == 0 || (a.y_perm != nullptr && a.slot_to_perm != nullptr &&
                                     a.weights != nullptr && a.out != nullptr),
                 fn, "null pointer: y_perm=", a.y_perm, " slot_to_perm=", a.slot_to_perm,
                 " weights=", a.weights, " out=", a.out);
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entries

size_t moe_permute_workspace_bytes(int64_t, int, int) { return 0; }

void cuda_moe_permute(const MoePermuteArgs& args, cudaStream_t stream) {
  moe_permute_check(args);
  const int64_t n_slots = args.n_tokens * args.top_k;
  // NOTE: with no slots every expert still owns the empty range, so offsets are written.
  pdl_launch(moe_place_kernel, dim3(args.n_experts), dim3(kPlaceThreads), 0, stream, args,
             static_cast<int32_t>(n_slots));
  KERNEL_CHECK();
  if (n_slots == 0 || args.x_perm == nullptr) return;
  const bool vec =
      args.hidden % 8 == 0 && args.ld_x % 8 == 0 && aligned16(args.x) && aligned16(args.x_perm);
  if (vec) {
    moe_gather_launch<8>(args, n_slots, stream);
  } else {
    moe_gather_launch<1>(args, n_slots, stream);
  }
}

void cuda_moe_combine(const MoeCombineArgs& args, cudaStream_t stream) {
  moe_combine_check(args);
  if (args.n_tokens == 0) return;
  const bool vec =
      args.hidden % 8 == 0 && args.ld_out % 8 == 0 && aligned16(args.y_perm) && aligned16(args.out);
  if (vec) {
    moe_combine_launch<8>(args, stream);
  } else {
    moe_combine_launch<1>(args, stream);
  }
}

}  // namespace moebench
