// cuda_grouped_gemm_tc: the MoE grouped expert GEMM for decode batches on bf16 tensor cores (wmma
// 16x16x16, f32 accumulators), offsets read on the device, weights streamed once per 16-row tile;
// optionally its input rows formed from [gate | up] by the SwiGLU as they are staged.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "kernels/cp_async.cuh"
#include "kernels/cuda_check.h"
#include "kernels/grouped_gemm.h"
#include "kernels/kernel_setup.cuh"
#include "kernels/launch_check.h"
#include "kernels/pdl.cuh"
#include "kernels/swiglu_device.cuh"

namespace moebench {
namespace {

namespace wmma = nvcuda::wmma;

constexpr int kWarp = 32;
constexpr int kWarps = 8;
constexpr int kThreads = kWarps * kWarp;
constexpr int kBlockM = 16;               // rows of one expert per block (one wmma row tile)
constexpr int kWarpN = 16;                // output columns per warp (one wmma column tile)
constexpr int kBlockN = kWarps * kWarpN;  // 128 output columns per block
constexpr int kBlockK = 64;               // k per pipeline stage: 128 B of each weight row
// NOTE: 3 stages of 20.7 KB: two chunks (32 KB of weights) in flight per block while one is
// multiplied; 3 blocks fit an SM (62 KB each), ~100 KB in flight per SM, well above the ~25 KB
// Little's law asks for 3 TB/s at ~1 us latency over 132 SMs.
constexpr int kStages = 3;
constexpr int kVec = 8;            // bf16 per 16-byte cp.async
constexpr int kLdS = kBlockK + 8;  // bf16 smem row stride; NOTE: +8 staggers banks, ldm % 8 == 0
constexpr int kLdC = kBlockN + 4;  // f32 output staging row stride; ldm % 4 == 0
// Weight tile then x tile, bf16; x_swiglu adds the up tile after the gate tile.
template <bool kSwiglu>
constexpr int kStageElems = (kBlockN + kBlockM * (kSwiglu ? 2 : 1)) * kLdS;
template <bool kSwiglu>
constexpr size_t kSmemBytes = static_cast<size_t>(kStages) * kStageElems<kSwiglu> *
                              sizeof(__nv_bfloat16);
constexpr int64_t kMaxGridY = 65535;

static_assert(kBlockK % 16 == 0 && kBlockK % kVec == 0, "k chunk must hold whole wmma k steps");
static_assert(kBlockN * kBlockK / kVec % kThreads == 0, "weight chunk vectors split evenly");
static_assert(2 * kBlockM * kBlockK / kVec <= kThreads,
              "gate and up chunks take at most one vector a thread");
static_assert(kBlockM * kLdC * sizeof(float) <= kSmemBytes<false>,
              "output staging reuses the stages");
static_assert(kStageElems<false> * sizeof(__nv_bfloat16) % 128 == 0 &&
                  kStageElems<true> * sizeof(__nv_bfloat16) % 128 == 0,
              "stages keep 128-byte alignment");
static_assert(kBlockN * kLdS * sizeof(__nv_bfloat16) % 32 == 0, "x tile must be 32-byte aligned");

// ----------------------------------------------------------------------------
// GPU kernels

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
using FragA = wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major>;
using FragB = wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major>;
using FragAcc = wmma::fragment<wmma::accumulator, 16, 16, 16, float>;

// 16 bytes global -> shared, bypassing L1; src_bytes 0 writes zeros and reads nothing. policy is an
// L2 cache policy from l2_evict_first / l2_evict_normal.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid,
                                           uint64_t policy) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  const int src_bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global.L2::cache_hint [%0], [%1], 16, %2, %3;\n" ::"r"(d),
               "l"(src), "r"(src_bytes), "l"(policy));
}
// NOTE: weights are read once per step: evict-first keeps them from pushing x (re-read by every
// column tile of its expert) out of L2. x keeps the normal priority: it is dead after this call.
__device__ __forceinline__ uint64_t l2_evict_first() {
  uint64_t p;
  asm("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;\n" : "=l"(p));
  return p;
}
__device__ __forceinline__ uint64_t l2_evict_normal() {
  uint64_t p;
  asm("createpolicy.fractional.L2::evict_normal.b64 %0, 1.0;\n" : "=l"(p));
  return p;
}
#endif

// The block's (expert, rows [lo, hi)) for slot blockIdx.x: the slot-th 16-row tile counting experts
// in order, like grouped_gemm_kernel. expert < 0 when the slot has no tile.
struct RowTile {
  int expert = -1;
  int64_t lo = 0, hi = 0;
};

__device__ __forceinline__ RowTile find_row_tile(const GroupedGemmArgs& g, int64_t slot) {
  RowTile t;
  int64_t before = 0, prev = __ldg(g.offsets);
  for (int e = 0; e < g.n_experts; ++e) {
    const int64_t next = __ldg(g.offsets + e + 1);
    const int64_t tiles = next > prev ? (next - prev + kBlockM - 1) / kBlockM : 0;
    if (slot < before + tiles) {
      t.expert = e;
      t.lo = prev + (slot - before) * kBlockM;
      t.hi = min(next, t.lo + kBlockM);
      break;
    }
    before += tiles;
    prev = next;
  }
  t.hi = min(t.hi, g.max_rows);  // NOTE: offsets past the caller's bound would write past y
  if (t.lo < 0 || t.lo >= t.hi) t.expert = -1;
  return t;
}

// Stage <- weight rows [col0, col0 + 128) and x rows [lo, hi) of k chunk [k0, k0 + 64) (kSwiglu:
// the rows' gate chunk, then their up chunk k further on); weight rows past n, x rows past hi and k
// past the end are zero-filled. Needs k % 8 == 0 and 16-byte aligned x and w so every vector is
// whole.
template <bool kSwiglu>
__device__ __forceinline__ void load_stage(__nv_bfloat16* stage, const GroupedGemmArgs& g,
                                           const bf16_bits* w_tile, int64_t cols, int64_t lo,
                                           int64_t rows, int64_t k0) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  const uint64_t w_policy = l2_evict_first(), x_policy = l2_evict_normal();
  constexpr int kVecPerRow = kBlockK / kVec;
#pragma unroll
  for (int i = 0; i < kBlockN * kVecPerRow / kThreads; ++i) {
    const int v = threadIdx.x + i * kThreads;
    const int r = v / kVecPerRow, c = v % kVecPerRow * kVec;
    const bool ok = r < cols && k0 + c < g.k;
    cp_async16(stage + r * kLdS + c, ok ? w_tile + r * g.k + k0 + c : w_tile, ok, w_policy);
  }
  constexpr int kXVectors = kBlockM * kVecPerRow;
  if (threadIdx.x < (kSwiglu ? 2 : 1) * kXVectors) {
    const int half = threadIdx.x / kXVectors;  // kSwiglu: 0 gate, 1 up
    const int v = threadIdx.x % kXVectors;
    const int r = v / kVecPerRow, c = v % kVecPerRow * kVec;
    const bool ok = r < rows && k0 + c < g.k;
    const int64_t ld = kSwiglu ? 2 * g.k : g.k;
    int64_t row = lo + r;
    if (g.x_slots != nullptr && ok) row = __ldg(g.x_slots + row) / g.slot_div;
    const bf16_bits* src = g.x + row * ld + half * g.k + k0 + c;
    cp_async16(stage + (kBlockN + half * kBlockM + r) * kLdS + c, ok ? src : g.x, ok, x_policy);
  }
#endif
}

// The stage's gate tile <- bf16(silu(gate) * up) with its up tile, in place (zero-filled rows and
// k give silu(0) * 0 = 0).
__device__ __forceinline__ void swiglu_stage(__nv_bfloat16* stage) {
  for (int i = threadIdx.x; i < kBlockM * kBlockK; i += kThreads) {
    __nv_bfloat16* gate = stage + (kBlockN + i / kBlockK) * kLdS + i % kBlockK;
    const float u = __bfloat162float(gate[kBlockM * kLdS]);
    *gate = __float2bfloat16_rn(swiglu_f32(__bfloat162float(*gate), u));
  }
}

// grid.x = row-tile slots (an upper bound of all experts' 16-row tiles), grid.y = 128-column
// tiles. Warp w owns output columns col0 + [16 w, 16 w + 16) of the block's 16 rows. kSwiglu: the
// x tile is formed from [gate | up] rows in shared memory, the same bf16 values cuda_swiglu writes,
// so the products and their order match the two-kernel path.
template <bool kSwiglu>
__global__ void __launch_bounds__(kThreads) grouped_gemm_tc_kernel(const GroupedGemmArgs g) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  __trap();  // NOTE: bf16 wmma and cp.async need sm_80; the launcher refuses such builds
#else
  extern __shared__ __align__(128) unsigned char smem[];
  pdl_wait();  // the offsets come from the previous kernels
  pdl_trigger();
  const RowTile tile = find_row_tile(g, blockIdx.x);
  if (tile.expert < 0) return;  // block-uniform: every thread scanned the same offsets
  __nv_bfloat16* stages = reinterpret_cast<__nv_bfloat16*>(smem);
  const int warp = threadIdx.x / kWarp;
  const int64_t col0 = static_cast<int64_t>(blockIdx.y) * kBlockN;
  const int64_t cols = g.n - col0 < kBlockN ? g.n - col0 : kBlockN;
  const int64_t rows = tile.hi - tile.lo;
  const bf16_bits* w_tile = g.w + (static_cast<int64_t>(tile.expert) * g.n + col0) * g.k;
  const int n_chunks = static_cast<int>((g.k + kBlockK - 1) / kBlockK);

  // NOTE: one commit group per chunk slot, empty ones included, so wait_group<kStages - 2>
  // always means "chunk c has landed".
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < n_chunks)
      load_stage<kSwiglu>(stages + s * kStageElems<kSwiglu>, g, w_tile, cols, tile.lo, rows,
                          static_cast<int64_t>(s) * kBlockK);
    cp_async_commit();
  }
  FragAcc acc;
  wmma::fill_fragment(acc, 0.0f);
  for (int c = 0; c < n_chunks; ++c) {
    cp_async_wait<kStages - 2>();
    __syncthreads();  // chunk c visible to all; stage (c - 1) % kStages no longer read
    const int next = c + kStages - 1;
    if (next < n_chunks) {
      load_stage<kSwiglu>(stages + next % kStages * kStageElems<kSwiglu>, g, w_tile, cols, tile.lo,
                          rows, static_cast<int64_t>(next) * kBlockK);
    }
    cp_async_commit();
    __nv_bfloat16* st = stages + c % kStages * kStageElems<kSwiglu>;
    if constexpr (kSwiglu) {
      swiglu_stage(st);
      __syncthreads();  // the activations are whole before any warp loads them
    }
#pragma unroll
    for (int kk = 0; kk < kBlockK; kk += 16) {
      FragA a;
      FragB b;
      wmma::load_matrix_sync(a, st + kBlockN * kLdS + kk, kLdS);
      // (n, k) row-major weight rows are the (k, n) col-major B with ldm = the row stride.
      wmma::load_matrix_sync(b, st + warp * kWarpN * kLdS + kk, kLdS);
      wmma::mma_sync(acc, a, b, acc);
    }
  }
  cp_async_wait<0>();
  __syncthreads();  // all stages consumed: the output staging reuses them
  float* out = reinterpret_cast<float*>(smem);  // (16, kLdC)
  wmma::store_matrix_sync(out + warp * kWarpN, acc, kLdC, wmma::mem_row_major);
  __syncthreads();
  for (int i = threadIdx.x; i < kBlockM * kBlockN; i += kThreads) {
    const int r = i / kBlockN, c = i % kBlockN;
    if (r < rows && c < cols) {
      g.y[(tile.lo + r) * g.n + col0 + c] =
          __bfloat16_as_ushort(__float2bfloat16_rn(out[r * kLdC + c]));
    }
  }
#endif
}

// ----------------------------------------------------------------------------
// Launcher

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// NOTE: opting in to > 48 KB of dynamic shared memory is per device.
template <bool kSwiglu>
void smem_opt_in() {
  require_bf16_tensor_cores(reinterpret_cast<const void*>(grouped_gemm_tc_kernel<kSwiglu>),
                            "cuda_grouped_gemm_tc");
  CUDA_CHECK(cudaFuncSetAttribute(grouped_gemm_tc_kernel<kSwiglu>,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(kSmemBytes<kSwiglu>)));
  // NOTE: all shared memory, little L1 (cp.async.cg bypasses it): 3 blocks of 62 KB (x_swiglu:
  // 69 KB) per SM.
  CUDA_CHECK(cudaFuncSetAttribute(grouped_gemm_tc_kernel<kSwiglu>,
                                  cudaFuncAttributePreferredSharedMemoryCarveout,
                                  static_cast<int>(cudaSharedmemCarveoutMaxShared)));
}

void grouped_gemm_tc_launch(const GroupedGemmArgs& g, cudaStream_t stream) {
  once_per_device([] {
    smem_opt_in<false>();
    smem_opt_in<true>();
  });
  // NOTE: sum over experts of ceil(rows_e / 16) <= floor(max_rows / 16) + (non-empty experts), so
  // this many slots cover every tile whatever the device offsets are.
  const int64_t slots = g.max_rows / kBlockM + std::min<int64_t>(g.n_experts, g.max_rows);
  launch_require(slots <= INT32_MAX, "cuda_grouped_gemm_tc", "max_rows ", g.max_rows,
                 " with n_experts ", g.n_experts, " needs ", slots,
                 " row-tile slots, over 2^31 - 1");
  const dim3 grid(static_cast<unsigned>(slots),
                  static_cast<unsigned>((g.n + kBlockN - 1) / kBlockN));
  if (g.x_swiglu) {
    pdl_launch(grouped_gemm_tc_kernel<true>, grid, dim3(kThreads), kSmemBytes<true>, stream, g);
  } else {
    pdl_launch(grouped_gemm_tc_kernel<false>, grid, dim3(kThreads), kSmemBytes<false>, stream, g);
  }
  KERNEL_CHECK();
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entry

void cuda_grouped_gemm_tc(const GroupedGemmArgs& args, cudaStream_t stream) {
  const char* fn = "cuda_grouped_gemm_tc";
  grouped_gemm_args_check(args, fn);
  launch_require(args.offsets != nullptr, fn, "offsets (device) must not be null");
  launch_require((args.n + kBlockN - 1) / kBlockN <= kMaxGridY, fn,
                 "n must be <= ", kMaxGridY * kBlockN, ", got ", args.n);
  if (args.max_rows == 0) return;
  // NOTE: 16-byte cp.async needs every x and w row to start 16-byte aligned; otherwise the
  // CUDA-core kernel (scalar tail path) serves the call.
  if (args.k % kVec != 0 || !aligned16(args.x) || !aligned16(args.w)) {
    cuda_grouped_gemm(args, stream);
    return;
  }
  grouped_gemm_tc_launch(args, stream);
}

}  // namespace moebench
