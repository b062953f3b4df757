// cuda_grouped_gemm_wgmma: the MoE grouped expert GEMM on Hopper's warpgroup MMA (wgmma, sm_90a),
// persistent: one wave of blocks walks every (row tile of one expert, column tile) pair, offsets
// read on the device, so batches of any size run without a host sync and under graph capture.
// The weights stream in by TMA (one thread, one or two boxes a stage), the rows by cp.async (a
// gather through the permute's slots). Optionally the SwiGLU in the up GEMM's epilogue.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <mutex>
#include <vector>

#include "kernels/cp_async.cuh"
#include "kernels/cuda_check.h"
#include "kernels/grouped_gemm.h"
#include "kernels/grouped_tiles.h"
#include "kernels/grouped_wgmma_weights.h"
#include "kernels/kernel_setup.cuh"
#include "kernels/launch_check.h"
#include "kernels/pdl.cuh"
#include "kernels/swiglu_device.cuh"
#include "kernels/tma_device.cuh"
#include "kernels/tma_map_encode.h"
#include "kernels/wgmma_device.cuh"
#include "kernels/wgmma_probe.h"

namespace moebench {
namespace {

constexpr int kBlockN = kGwBlockN;  // weight rows per block tile (B's N)
constexpr int kBlockK = kGwBlockK;  // k per stage: one 128-byte swizzle row of bf16
constexpr int kVec = 8;             // bf16 per 16-byte cp.async
constexpr int kRowBytes = kBlockK * 2;
constexpr int kEpiLd = kBlockN + 8;  // bf16 epilogue staging row stride; NOTE: +8 staggers banks
constexpr int kMaxExperts = 1024;    // the tile prefix lives in shared memory
static_assert(kRowBytes == 128, "a stage row is one 128B swizzle row");

// Decode (1 warpgroup, 64-row tiles): deep pipeline, streaming-bound. Prefill (2 warpgroups,
// 128-row tiles): compute-bound, fewer stages. NOTE: the loads run kStages - 2 chunks ahead; the
// stage two chunks back is the one the last completed wgmma group read.
template <int kWgs>
constexpr int kStages = kWgs == 1 ? 6 : 4;
template <int kWgs>
constexpr int kBlockM = kWgs* kWgM;
template <int kWgs>
constexpr int kStageBytes = (kBlockM<kWgs> + kBlockN) * kRowBytes;
template <int kWgs>
constexpr size_t kEpiBytes = static_cast<size_t>(kBlockM<kWgs>) * kEpiLd * 2;
// NOTE: 1024 bytes of slack: the dynamic shared window is aligned to 1024 (the swizzle atom) by
// hand; a 128B-swizzled operand must start on an atom.
template <int kWgs>
constexpr size_t kSmemBytes =
    static_cast<size_t>(kStages<kWgs>) * kStageBytes<kWgs> + kEpiBytes<kWgs> + 1024;
static_assert(kStageBytes<1> % 1024 == 0 && kStageBytes<2> % 1024 == 0, "stages keep atoms");
// The static tile prefix (first[], in the kernel) and the stages' weight barriers share the SM's
// 227 KB with the dynamic window.
constexpr int kMaxStages = 6;
constexpr size_t kStaticSmemBytes = (kMaxExperts + 1) * sizeof(int) + kMaxStages * 8;
static_assert(kStages<1> <= kMaxStages && kStages<2> <= kMaxStages, "a barrier a stage");
static_assert(kSmemBytes<1> + kStaticSmemBytes <= 227 * 1024 &&
                  kSmemBytes<2> + kStaticSmemBytes <= 227 * 1024,
              "fits an H100/H200 SM");

// ----------------------------------------------------------------------------
// GPU helpers (sm_90a)

#if defined(MOEBENCH_WGMMA_DEVICE)
constexpr int kChunksPerRow = kBlockK / kVec;  // 16-byte chunks of a stage row
constexpr int kAccRegs = kBlockN / 2;          // f32 accumulators per thread for m64n128

// first[e] = the first row tile of expert e counting experts in order, first[n_experts] = all of
// them. Warp 0: each lane sums a run of experts, then an exclusive scan over the lanes.
template <int kBm>
__device__ __forceinline__ void tile_prefix(const GroupedGemmArgs& g, int* first) {
  if (threadIdx.x >= 32) return;
  const int lane = threadIdx.x;
  const int per = (g.n_experts + 31) / 32;
  const int e0 = min(lane * per, g.n_experts), e1 = min(e0 + per, g.n_experts);
  int own = 0;
  for (int e = e0; e < e1; ++e) {
    int64_t lo, hi;
    grouped_expert_rows(g.offsets, g.max_rows, e, lo, hi);
    own += grouped_expert_tiles(lo, hi, kBm);
  }
  int incl = own;
#pragma unroll
  for (int o = 1; o < 32; o <<= 1) {
    const int v = __shfl_up_sync(0xffffffffu, incl, o);
    if (lane >= o) incl += v;
  }
  int at = incl - own;
  for (int e = e0; e < e1; ++e) {
    first[e] = at;
    int64_t lo, hi;
    grouped_expert_rows(g.offsets, g.max_rows, e, lo, hi);
    at += grouped_expert_tiles(lo, hi, kBm);
  }
  if (lane == 31) first[g.n_experts] = incl;
}

// The walk's size: the experts' tiles (row tiles from first[], times column tiles), then the
// dense GEMM's (x_dense rows in kBm-row tiles).
struct WgWalk {
  int64_t col_tiles = 0, routed = 0;  // the experts' column tiles a row tile, their tiles
  int64_t dense_col_tiles = 0, total = 0;
};

template <int kBm, bool kSwiglu>
__device__ __forceinline__ WgWalk wg_walk(const GroupedGemmArgs& g, const int* first) {
  constexpr int64_t kOutCols = kSwiglu ? kBlockN / 2 : kBlockN;
  WgWalk w;
  w.col_tiles = ((kSwiglu ? g.n / 2 : g.n) + kOutCols - 1) / kOutCols;
  w.routed = static_cast<int64_t>(first[g.n_experts]) * w.col_tiles;
  w.total = w.routed;
  if (g.dense_rows > 0) {
    w.dense_col_tiles = ((kSwiglu ? g.n_dense / 2 : g.n_dense) + kOutCols - 1) / kOutCols;
    w.total += (g.dense_rows + kBm - 1) / kBm * w.dense_col_tiles;
  }
  return w;
}

// One tile's operands: rows [lo, hi) of x (row stride k; through slots / slot_div when slots is
// set) times the n weight rows of its expert (-1: the dense GEMM's w_dense), into output columns
// [out0, out0 + kOutCols) of y (row stride width).
struct WgJob {
  const bf16_bits* x = nullptr;
  const int32_t* slots = nullptr;
  int slot_div = 1;
  int expert = -1;
  bf16_bits* y = nullptr;
  int64_t lo = 0, hi = 0, n = 0, k = 0, width = 0, out0 = 0;
};

// Tile t of the block's walk (the offsets read with plain loads: a previous kernel wrote them).
template <int kBm, bool kSwiglu>
__device__ __forceinline__ WgJob job_at(const GroupedGemmArgs& g, const int* first,
                                        const WgWalk& walk, int64_t t) {
  constexpr int64_t kOutCols = kSwiglu ? kBlockN / 2 : kBlockN;
  WgJob j;
  if (t < walk.routed) {
    const GroupedTile tile =
        grouped_tile_at(g.offsets, g.max_rows, g.n_experts, first, kBm, t, walk.col_tiles);
    j.x = g.x;
    j.slots = g.x_slots;
    j.slot_div = g.slot_div;
    j.expert = tile.expert;
    j.y = g.y;
    j.lo = tile.lo;
    j.hi = tile.hi;
    j.n = g.n;
    j.k = g.k;
    j.out0 = tile.col_tile * kOutCols;
  } else {
    const int64_t d = t - walk.routed;
    j.x = g.x_dense;
    j.y = g.y_dense;
    j.lo = d / walk.dense_col_tiles * kBm;
    j.hi = min(j.lo + kBm, g.dense_rows);
    j.n = g.n_dense;
    j.k = g.k_dense;
    j.out0 = d % walk.dense_col_tiles * kOutCols;
  }
  j.width = kSwiglu ? j.n / 2 : j.n;
  return j;
}

// The weight maps (experts, dense GEMM) and the stages' barriers the weight boxes complete on.
struct WgWeights {
  const CUtensorMap* experts = nullptr;
  const CUtensorMap* dense = nullptr;
  uint32_t full = 0;  // kStages barriers, 8 bytes apart: stage s's weights landed
};

// The block's loads: its walk over tiles t = blockIdx.x, + gridDim.x, ... below total, each tile's
// k chunks in order into the 128B-swizzled stage of the chunk's walk index: this thread's share
// of the x rows (16-byte cp.async, zero-filled past rows and k), and, by thread 0, the tile's
// weight rows by TMA (zeros past the tensor; with kSwiglu a box of gate rows then one of up rows).
template <int kWgs, bool kSwiglu>
struct WgLoader {
  static constexpr int kBm = kBlockM<kWgs>;
  static constexpr int kThreads = kWgs * kWarpgroup;
  static constexpr int kAVecs = kBm * kChunksPerRow / kThreads;  // A chunks a thread loads
  static_assert(kBm * kChunksPerRow % kThreads == 0, "stage chunks split evenly over the threads");

  int64_t t = 0;                   // the tile being loaded (>= total: the walk is over)
  int chunk = 0, n_chunks = 0;     // its next k chunk, its k chunks
  int64_t k = 0;                   // its k
  int64_t walk = 0;                // chunks loaded so far: the next one's stage is walk % kStages
  const bf16_bits* a_src[kAVecs];  // this thread's x rows of tile t (through the gather)
  bool a_ok[kAVecs];
  int b_expert = -1;                // tile t's expert (-1: the dense GEMM's matrix)
  int64_t b_out0 = 0, b_width = 0;  // its first output, its outputs a row

  __device__ __forceinline__ void start(const GroupedGemmArgs& g, const int* first,
                                        const WgWalk& wk) {
    t = blockIdx.x;
    if (t < wk.total) set_tile(g, first, wk);
  }

  // This thread's sources for tile t.
  __device__ __forceinline__ void set_tile(const GroupedGemmArgs& g, const int* first,
                                           const WgWalk& wk) {
    const WgJob j = job_at<kBm, kSwiglu>(g, first, wk, t);
    const int64_t rows = j.hi - j.lo;
    k = j.k;
    n_chunks = static_cast<int>((j.k + kBlockK - 1) / kBlockK);
#pragma unroll
    for (int i = 0; i < kAVecs; ++i) {
      const int r = (threadIdx.x + i * kThreads) / kChunksPerRow;
      a_ok[i] = r < rows;
      int64_t row = j.lo + r;
      if (j.slots != nullptr && a_ok[i]) row = __ldg(j.slots + row) / j.slot_div;
      a_src[i] = j.x + (a_ok[i] ? row : 0) * j.k;
    }
    b_expert = j.expert;
    b_out0 = j.out0;
    b_width = j.width;
  }

  // Loads the walk's next chunk (nothing past its end) and commits one cp.async group.
  __device__ __forceinline__ void issue(const GroupedGemmArgs& g, const int* first,
                                        const WgWalk& wk, uint32_t base, const WgWeights& wt) {
    if (t < wk.total) {
      const int s = static_cast<int>(walk % kStages<kWgs>);
      const uint32_t stage = base + static_cast<uint32_t>(s) * kStageBytes<kWgs>;
      const int64_t k0 = static_cast<int64_t>(chunk) * kBlockK;
#pragma unroll
      for (int i = 0; i < kAVecs; ++i) {
        const int v = threadIdx.x + i * kThreads, r = v / kChunksPerRow, c = v % kChunksPerRow;
        const bool ok = a_ok[i] && k0 + c * kVec < k;
        cp_async16(stage + swizzled(r, c), ok ? a_src[i] + k0 + c * kVec : a_src[i], ok);
      }
      if (threadIdx.x == 0) {
        const uint32_t b_stage = stage + kBm * kRowBytes, full = wt.full + s * 8;
        const bool dense = b_expert < 0;
        const CUtensorMap* map = dense ? wt.dense : wt.experts;
        mbar_arrive_expect_tx(full, kGwStageWeightBytes);
#pragma unroll
        for (int i = 0; i < gw_weight_boxes(kSwiglu); ++i) {
          const GwBox b = gw_weight_box(i, k0, b_out0, b_width, dense ? 0 : b_expert);
          tma_load_3d(b_stage + b.smem, map, full, static_cast<int>(b.c0), static_cast<int>(b.c1),
                      static_cast<int>(b.c2));
        }
      }
      ++walk;
      if (++chunk == n_chunks) {
        chunk = 0;
        t += gridDim.x;
        if (t < wk.total) set_tile(g, first, wk);
      }
    }
    cp_async_commit();
  }
};
#endif  // MOEBENCH_WGMMA_DEVICE

// ----------------------------------------------------------------------------
// GPU kernel

// One block = kWgs warpgroups; warpgroup w multiplies rows [64 w, 64 w + 64) of the block's row
// tile by the 128 weight rows of its column tile (kSwiglu: 64 gate rows then the same 64 up rows,
// so a thread holds each output's gate and up accumulators and forms bf16(silu(g) * u) from their
// bf16 values, as cuda_swiglu does from the up GEMM's output).
// NOTE: the x rows load by every thread (cp.async, 16 B each, zero-filled past rows and k), the
// weight rows by TMA from thread 0 (w_map: the experts' (k, row, expert); wd_map: the dense
// GEMM's), both into 128B-swizzled K-major stages; chunk c's stage is reloaded with chunk
// c + kStages only after the wgmma group of chunk c completes in every warpgroup (wgmma_wait<1>
// one iteration later, then the barrier), and its MMAs wait for both its cp.async group and its
// weight barrier.
template <int kWgs, bool kSwiglu>
__global__ void __launch_bounds__(kWgs* kWarpgroup, 1)
    grouped_gemm_wgmma_kernel(const GroupedGemmArgs g, const __grid_constant__ CUtensorMap w_map,
                              const __grid_constant__ CUtensorMap wd_map) {
#if !defined(MOEBENCH_WGMMA_DEVICE)
  __trap();
#else
  constexpr int kBm = kBlockM<kWgs>;
  constexpr int kThreads = kWgs * kWarpgroup;
  constexpr int kS = kStages<kWgs>;
  constexpr int kOutCols = kSwiglu ? kBlockN / 2 : kBlockN;
  extern __shared__ unsigned char smem_raw[];
  __shared__ int first[kMaxExperts + 1];
  __shared__ alignas(8) uint64_t full_bars[kMaxStages];
  const uint32_t raw = static_cast<uint32_t>(__cvta_generic_to_shared(smem_raw));
  const uint32_t base = (raw + 1023u) & ~1023u;
  unsigned char* const base_ptr = smem_raw + (base - raw);
  __nv_bfloat16* const epi =
      reinterpret_cast<__nv_bfloat16*>(base_ptr + static_cast<size_t>(kS) * kStageBytes<kWgs>);

  WgWeights wt;
  wt.experts = &w_map;
  wt.dense = &wd_map;
  wt.full = static_cast<uint32_t>(__cvta_generic_to_shared(full_bars));
  if (threadIdx.x == 0) {
    for (int s = 0; s < kS; ++s) mbar_init(wt.full + s * 8, 1);
    mbar_init_fence();
    tma_prefetch_map(&w_map);
    tma_prefetch_map(&wd_map);
  }
  pdl_wait();  // the offsets (and x) come from the previous kernels
  pdl_trigger();
  tile_prefix<kBm>(g, first);
  __syncthreads();

  const WgWalk wk = wg_walk<kBm, kSwiglu>(g, first);
  const int wg = threadIdx.x / kWarpgroup;

  // NOTE: the loads walk the block's tiles on their own, kS - 2 chunks ahead of the MMAs across
  // tile boundaries, so a tile's first chunks arrive during the previous tile's last MMAs and
  // epilogue; the i-th chunk of the walk lands in stage i % kS.
  WgLoader<kWgs, kSwiglu> loader;
  loader.start(g, first, wk);
#pragma unroll
  for (int s = 0; s < kS - 2; ++s) loader.issue(g, first, wk, base, wt);
  int64_t walk = 0;  // the walk's chunk the MMAs take next
  for (int64_t t = blockIdx.x; t < wk.total; t += gridDim.x) {
    const WgJob job = job_at<kBm, kSwiglu>(g, first, wk, t);
    const int64_t rows = job.hi - job.lo, width = job.width, out0 = job.out0;
    const int n_chunks = static_cast<int>((job.k + kBlockK - 1) / kBlockK);
    float d[kAccRegs];
#pragma unroll
    for (int i = 0; i < kAccRegs; ++i) d[i] = 0.0f;
    for (int c = 0; c < n_chunks; ++c, ++walk) {
      // NOTE: one commit group per issue, empty ones past the walk's end included, so
      // wait_group<kS - 3> always means "this chunk has landed".
      cp_async_wait<kS - 3>();
      fence_proxy_async();
      __syncthreads();  // the chunk visible to every warpgroup; walk - 2's wgmmas all complete
      // NOTE: no trap on a hang here: the last chunk's MMAs are in flight (mbar_wait_or_trap).
      mbar_wait(wt.full + static_cast<uint32_t>(walk % kS) * 8,
                static_cast<uint32_t>(walk / kS & 1));
      const uint32_t stage = base + static_cast<uint32_t>(walk % kS) * kStageBytes<kWgs>;
      const uint32_t b_tile = stage + kBm * kRowBytes;
      wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < kBlockK / kMmaK; ++kk) {
        // NOTE: a k step inside the 128-byte swizzle row is a 32-byte start address step: the
        // hardware applies the swizzle to the address bits, the atom stays where it is.
        wgmma_ss_m64n128k16(d, smem_desc(k_major_slice(stage, kBm, wg * kWgM, kk)),
                            smem_desc(k_major_slice(b_tile, kBlockN, 0, kk)));
      }
      wgmma_commit();
      // NOTE: after this chunk's MMAs are issued, so a tile change's search (the loader's
      // set_tile) does not delay them; walk - 2's stage is free since the barrier above.
      loader.issue(g, first, wk, base, wt);  // into walk - 2's stage
      wgmma_wait<1>();
      fence_acc(d);
    }
    wgmma_wait<0>();
    fence_acc(d);

    // Accumulator layout of m64nNk16 (f32): warp w of the warpgroup holds rows 16 w + lane / 4
    // (d[4 i], d[4 i + 1]) and 8 rows below (d[4 i + 2], d[4 i + 3]), columns 8 i + 2 (lane % 4)
    // and the next one.
    const int lane = threadIdx.x % 32, warp = threadIdx.x % kWarpgroup / 32;
    const int r0 = wg * kWgM + warp * 16 + lane / 4;
#pragma unroll
    for (int i = 0; i < kOutCols / 8; ++i) {
      const int col = 8 * i + 2 * (lane % 4);
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        float v0 = d[4 * i + 2 * h], v1 = d[4 * i + 2 * h + 1];
        if constexpr (kSwiglu) {  // gate at column col, up at col + 64: their bf16 values
          const int j = 4 * (i + kBlockN / 16) + 2 * h;
          v0 = swiglu_f32(__bfloat162float(__float2bfloat16_rn(v0)),
                          __bfloat162float(__float2bfloat16_rn(d[j])));
          v1 = swiglu_f32(__bfloat162float(__float2bfloat16_rn(v1)),
                          __bfloat162float(__float2bfloat16_rn(d[j + 1])));
        }
        *reinterpret_cast<__nv_bfloat162*>(epi + (r0 + 8 * h) * kEpiLd + col) =
            __floats2bfloat162_rn(v0, v1);
      }
    }
    __syncthreads();
    // 16-byte stores of whole 8-column runs when y's rows allow it, element stores otherwise.
    const bool vec = width % kVec == 0 && reinterpret_cast<uintptr_t>(job.y) % 16 == 0;
    for (int v = threadIdx.x; v < kBm * (kOutCols / kVec); v += kThreads) {
      const int r = v / (kOutCols / kVec), c = v % (kOutCols / kVec) * kVec;
      const int64_t col = out0 + c;
      if (r >= rows || col >= width) continue;
      const __nv_bfloat16* src = epi + r * kEpiLd + c;
      bf16_bits* dst = job.y + (job.lo + r) * width + col;
      if (vec) {
        *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(src);
      } else {
        for (int e = 0; e < kVec && col + e < width; ++e) dst[e] = __bfloat16_as_ushort(src[e]);
      }
    }
    __syncthreads();  // the staging is read before the next tile's epilogue writes it
  }
  cp_async_wait<0>();  // only empty groups remain past the walk's end
#endif
}

// ----------------------------------------------------------------------------
// Launcher

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// NOTE: opting in to > 48 KB of dynamic shared memory is per device.
template <int kWgs, bool kSwiglu>
void smem_opt_in() {
  CUDA_CHECK(cudaFuncSetAttribute(grouped_gemm_wgmma_kernel<kWgs, kSwiglu>,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(kSmemBytes<kWgs>)));
}

// The device's SM count and whether its code is sm_90a wgmma code, asked once per device.
struct WgmmaDevice {
  int sms = 0;
  bool present = false;
};

WgmmaDevice wgmma_device() {
  static std::mutex mu;
  static std::vector<WgmmaDevice> known;
  static std::vector<bool> asked;
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(mu);
  if (asked.size() <= static_cast<size_t>(device)) {
    asked.resize(device + 1, false);
    known.resize(device + 1);
  }
  if (!asked[device]) {
    WgmmaDevice d;
    CUDA_CHECK(cudaDeviceGetAttribute(&d.sms, cudaDevAttrMultiProcessorCount, device));
    d.present = wgmma_code_present();
    if (d.present) {
      smem_opt_in<1, false>();
      smem_opt_in<1, true>();
      smem_opt_in<2, false>();
      smem_opt_in<2, true>();
    }
    known[device] = d;
    asked[device] = true;
  }
  return known[device];
}

template <int kWgs>
void grouped_gemm_wgmma_launch(const GroupedGemmArgs& g, int sms, cudaStream_t stream) {
  const char* fn = "cuda_grouped_gemm_wgmma";
  // NOTE: a map the walk never reads (no routed rows: w may be null; no dense GEMM) is the other's.
  CUtensorMap w_map{}, wd_map{};
  if (g.max_rows > 0) w_map = tma_encode(g.w, grouped_weights_tensor(g, false), fn, "w");
  if (g.dense_rows > 0) {
    wd_map = tma_encode(g.w_dense, grouped_weights_tensor(g, true), fn, "w_dense");
  }
  if (g.max_rows == 0) w_map = wd_map;
  if (g.dense_rows == 0) wd_map = w_map;
  constexpr int kBm = kBlockM<kWgs>;
  const int64_t width = g.y_swiglu ? g.n / 2 : g.n;
  const int64_t out_cols = g.y_swiglu ? kBlockN / 2 : kBlockN;
  // NOTE: sum over experts of ceil(rows_e / kBm) <= floor(max_rows / kBm) + (non-empty experts):
  // no more blocks than tiles can exist, and one wave at most (one block per SM: the pipeline
  // takes most of the shared memory).
  int64_t tiles = (g.max_rows / kBm + std::min<int64_t>(g.n_experts, g.max_rows)) *
                  ((width + out_cols - 1) / out_cols);
  if (g.dense_rows > 0) {
    const int64_t dense_width = g.y_swiglu ? g.n_dense / 2 : g.n_dense;
    tiles += (g.dense_rows + kBm - 1) / kBm * ((dense_width + out_cols - 1) / out_cols);
  }
  const unsigned grid = static_cast<unsigned>(std::min<int64_t>(tiles, sms));
  if (g.y_swiglu) {
    pdl_launch(grouped_gemm_wgmma_kernel<kWgs, true>, dim3(grid), dim3(kWgs * kWarpgroup),
               kSmemBytes<kWgs>, stream, g, w_map, wd_map);
  } else {
    pdl_launch(grouped_gemm_wgmma_kernel<kWgs, false>, dim3(grid), dim3(kWgs * kWarpgroup),
               kSmemBytes<kWgs>, stream, g, w_map, wd_map);
  }
  KERNEL_CHECK();
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entries

bool cuda_grouped_gemm_wgmma_available() { return wgmma_device().present; }

void cuda_grouped_gemm_wgmma(const GroupedGemmArgs& args, cudaStream_t stream) {
  const char* fn = "cuda_grouped_gemm_wgmma";
  grouped_gemm_args_check(args, fn, true, true);
  launch_require(args.offsets != nullptr, fn, "offsets (device) must not be null");
  launch_require(!args.x_swiglu, fn,
                 "x_swiglu is not served (form the SwiGLU in the up GEMM's epilogue: y_swiglu)");
  launch_require(args.n_experts <= kMaxExperts, fn, "n_experts must be <= ", kMaxExperts, ", got ",
                 args.n_experts);
  launch_require(args.k % kVec == 0 && aligned16(args.x) && aligned16(args.w), fn,
                 "needs k % 8 == 0 and 16-byte aligned x and w (whole 16-byte copies), got k ",
                 args.k);
  if (args.dense_rows > 0) {
    launch_require(args.n_dense >= 1 && args.k_dense >= 1 && args.k_dense % kVec == 0 &&
                       (!args.y_swiglu || args.n_dense % 2 == 0),
                   fn,
                   "the dense GEMM needs n_dense >= 1 (even with y_swiglu) and k_dense a "
                   "multiple of 8, got n_dense ",
                   args.n_dense, " k_dense ", args.k_dense);
    launch_require(args.x_dense != nullptr && args.w_dense != nullptr && args.y_dense != nullptr &&
                       aligned16(args.x_dense) && aligned16(args.w_dense),
                   fn, "the dense GEMM needs 16-byte aligned x_dense and w_dense and a y_dense");
  }
  const WgmmaDevice dev = wgmma_device();
  launch_require(dev.present, fn,
                 "this device or build has no sm_90a code (wgmma needs a Hopper GPU and a build "
                 "with -DCMAKE_CUDA_ARCHITECTURES=90a)");
  if (args.max_rows == 0 && args.dense_rows == 0) return;
  // NOTE: 128-row tiles (two warpgroups) once an expert averages that many rows (prefill): half
  // the weight re-reads per row; decode's few rows per expert keep 64-row tiles.
  if (args.max_rows >= int64_t{2} * kWgM * args.n_experts) {
    grouped_gemm_wgmma_launch<2>(args, dev.sms, stream);
  } else {
    grouped_gemm_wgmma_launch<1>(args, dev.sms, stream);
  }
}

}  // namespace moebench
