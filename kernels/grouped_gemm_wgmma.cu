// cuda_grouped_gemm_wgmma: the MoE grouped expert GEMM on Hopper's warpgroup MMA (wgmma, sm_90a),
// persistent: one wave of blocks walks every (row tile of one expert, column tile) pair, offsets
// read on the device, so batches of any size run without a host sync and under graph capture.
// Optionally the SwiGLU in the up GEMM's epilogue.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <mutex>
#include <vector>

#include "kernels/cuda_check.h"
#include "kernels/grouped_gemm.h"
#include "kernels/grouped_tiles.h"
#include "kernels/kernel_setup.cuh"
#include "kernels/launch_check.h"
#include "kernels/pdl.cuh"
#include "kernels/swiglu_device.cuh"

// NOTE: wgmma exists only in the arch-specific sm_90a target; every other target compiles the
// kernels to a trap, and the launcher refuses before reaching them (wgmma_kernels_present).
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define MOEBENCH_WGMMA_DEVICE 1
#endif

namespace moebench {
namespace {

constexpr int kWarpgroup = 128;  // threads issuing one wgmma
constexpr int kWgM = 64;         // rows of one warpgroup's m64n128k16
constexpr int kBlockN = 128;     // weight rows per block tile (B's N)
constexpr int kBlockK = 64;      // k per stage: one 128-byte swizzle row of bf16
constexpr int kVec = 8;          // bf16 per 16-byte cp.async
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
// The static tile prefix (first[], in the kernel) shares the SM's 227 KB with the dynamic window.
constexpr size_t kStaticSmemBytes = (kMaxExperts + 1) * sizeof(int);
static_assert(kSmemBytes<1> + kStaticSmemBytes <= 227 * 1024 &&
                  kSmemBytes<2> + kStaticSmemBytes <= 227 * 1024,
              "fits an H100/H200 SM");

// ----------------------------------------------------------------------------
// GPU helpers (sm_90a)

#if defined(MOEBENCH_WGMMA_DEVICE)
constexpr int kMmaK = 16;                      // k per wgmma
constexpr int kChunksPerRow = kBlockK / kVec;  // 16-byte chunks of a stage row
constexpr int kAccRegs = kBlockN / 2;          // f32 accumulators per thread for m64n128
constexpr int kSwizzleRows = 8;                // rows of one 1024-byte 128B-swizzle atom

__device__ __forceinline__ void cp_async16(uint32_t dst, const void* src, bool valid) {
  const int src_bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
               "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n"); }
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
}
// cp.async writes through the generic proxy; wgmma reads shared memory through the async proxy.
__device__ __forceinline__ void fence_proxy_async() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}
__device__ __forceinline__ void wgmma_fence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmma_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int kPending>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
}
// Keeps the compiler from moving accumulator reads or writes across a wgmma wait.
__device__ __forceinline__ void fence_acc(float (&d)[kAccRegs]) {
#pragma unroll
  for (int i = 0; i < kAccRegs; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// The shared-memory matrix descriptor of a K-major, 128B-swizzled operand starting at smem byte
// address addr (on a 1024-byte atom, or 32-byte steps into one along k): start address >> 4,
// leading byte offset 1 (unused when swizzled), stride byte offset 1024 >> 4 (8 rows of 128 B),
// swizzle mode 1 (128B) in bits 62-63.
__device__ __forceinline__ uint64_t smem_desc(uint32_t addr) {
  return (static_cast<uint64_t>((addr & 0x3FFFF) >> 4)) | (uint64_t{1} << 16) |
         (uint64_t{1024 >> 4} << 32) | (uint64_t{1} << 62);
}

// d (64 x 128, f32) += A (64 x 16, K-major smem) · B (128 x 16, K-major smem)ᵀ.
__device__ __forceinline__ void wgmma_m64n128k16(float (&d)[kAccRegs], uint64_t desc_a,
                                                 uint64_t desc_b) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
      "%64, %65, p, 1, 1, 0, 0;\n"
      "}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]),
        "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]),
        "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]),
        "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]),
        "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]),
        "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]),
        "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]),
        "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]),
        "+f"(d[63])
      : "l"(desc_a), "l"(desc_b), "n"(1));
}

// Byte offset of 16-byte chunk `chunk` of row `row` in a 128B-swizzled K-major tile (rows of 128
// bytes, atoms of 8 rows): the chunk index XORed with the row within its atom.
__device__ __forceinline__ uint32_t swizzled(int row, int chunk) {
  return static_cast<uint32_t>(row * kRowBytes + ((chunk ^ (row % kSwizzleRows)) << 4));
}

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
// set) times the n weight rows of w (its expert's, or the dense GEMM's), into output columns
// [out0, out0 + kOutCols) of y (row stride width).
struct WgJob {
  const bf16_bits* x = nullptr;
  const int32_t* slots = nullptr;
  int slot_div = 1;
  const bf16_bits* w = nullptr;
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
    j.w = g.w + static_cast<int64_t>(tile.expert) * g.n * g.k;
    j.y = g.y;
    j.lo = tile.lo;
    j.hi = tile.hi;
    j.n = g.n;
    j.k = g.k;
    j.out0 = tile.col_tile * kOutCols;
  } else {
    const int64_t d = t - walk.routed;
    j.x = g.x_dense;
    j.w = g.w_dense;
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

// The block's loads: its walk over tiles t = blockIdx.x, + gridDim.x, ... below total, each tile's
// k chunks in order, and this thread's share of each chunk (16-byte cp.async, zero-filled past
// rows, weight rows and k) in the 128B-swizzled stage of the chunk's walk index.
template <int kWgs, bool kSwiglu>
struct WgLoader {
  static constexpr int kBm = kBlockM<kWgs>;
  static constexpr int kThreads = kWgs * kWarpgroup;
  static constexpr int kAVecs = kBm * kChunksPerRow / kThreads;      // A chunks a thread loads
  static constexpr int kBVecs = kBlockN * kChunksPerRow / kThreads;  // B chunks a thread loads
  static_assert(kBm * kChunksPerRow % kThreads == 0 && kBlockN * kChunksPerRow % kThreads == 0,
                "stage chunks split evenly over the threads");

  int64_t t = 0;                   // the tile being loaded (>= total: the walk is over)
  int chunk = 0, n_chunks = 0;     // its next k chunk, its k chunks
  int64_t k = 0;                   // its k
  int64_t walk = 0;                // chunks loaded so far: the next one's stage is walk % kStages
  const bf16_bits* a_src[kAVecs];  // this thread's x rows of tile t (through the gather)
  bool a_ok[kAVecs];
  const bf16_bits* b_src[kBVecs];  // its weight rows of tile t
  bool b_ok[kBVecs];

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
#pragma unroll
    for (int i = 0; i < kBVecs; ++i) {
      const int r = (threadIdx.x + i * kThreads) / kChunksPerRow;
      int64_t col;              // the weight row
      if constexpr (kSwiglu) {  // 64 gate rows, then the same outputs' 64 up rows
        const int64_t c = j.out0 + r % (kBlockN / 2);
        b_ok[i] = c < j.width;
        col = r < kBlockN / 2 ? c : j.width + c;
      } else {
        col = j.out0 + r;
        b_ok[i] = col < j.n;
      }
      b_src[i] = j.w + (b_ok[i] ? col : 0) * j.k;
    }
  }

  // Loads the walk's next chunk (nothing past its end) and commits one cp.async group.
  __device__ __forceinline__ void issue(const GroupedGemmArgs& g, const int* first,
                                        const WgWalk& wk, uint32_t base) {
    if (t < wk.total) {
      const uint32_t stage = base + static_cast<uint32_t>(walk % kStages<kWgs>) * kStageBytes<kWgs>;
      const int64_t k0 = static_cast<int64_t>(chunk) * kBlockK;
#pragma unroll
      for (int i = 0; i < kAVecs; ++i) {
        const int v = threadIdx.x + i * kThreads, r = v / kChunksPerRow, c = v % kChunksPerRow;
        const bool ok = a_ok[i] && k0 + c * kVec < k;
        cp_async16(stage + swizzled(r, c), ok ? a_src[i] + k0 + c * kVec : a_src[i], ok);
      }
      const uint32_t b_stage = stage + kBm * kRowBytes;
#pragma unroll
      for (int i = 0; i < kBVecs; ++i) {
        const int v = threadIdx.x + i * kThreads, r = v / kChunksPerRow, c = v % kChunksPerRow;
        const bool ok = b_ok[i] && k0 + c * kVec < k;
        cp_async16(b_stage + swizzled(r, c), ok ? b_src[i] + k0 + c * kVec : b_src[i], ok);
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
// NOTE: loads use every thread (cp.async, 16 B each, zero-filled past rows, columns and k) into
// 128B-swizzled K-major stages; chunk c's stage is reloaded with chunk c + kStages only after the
// wgmma group of chunk c completes in every warpgroup (wgmma_wait<1> one iteration later, then the
// barrier).
template <int kWgs, bool kSwiglu>
__global__ void __launch_bounds__(kWgs* kWarpgroup, 1)
    grouped_gemm_wgmma_kernel(const GroupedGemmArgs g) {
#if !defined(MOEBENCH_WGMMA_DEVICE)
  __trap();
#else
  constexpr int kBm = kBlockM<kWgs>;
  constexpr int kThreads = kWgs * kWarpgroup;
  constexpr int kS = kStages<kWgs>;
  constexpr int kOutCols = kSwiglu ? kBlockN / 2 : kBlockN;
  extern __shared__ unsigned char smem_raw[];
  __shared__ int first[kMaxExperts + 1];
  const uint32_t raw = static_cast<uint32_t>(__cvta_generic_to_shared(smem_raw));
  const uint32_t base = (raw + 1023u) & ~1023u;
  unsigned char* const base_ptr = smem_raw + (base - raw);
  __nv_bfloat16* const epi =
      reinterpret_cast<__nv_bfloat16*>(base_ptr + static_cast<size_t>(kS) * kStageBytes<kWgs>);

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
  for (int s = 0; s < kS - 2; ++s) loader.issue(g, first, wk, base);
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
      const uint32_t stage = base + static_cast<uint32_t>(walk % kS) * kStageBytes<kWgs>;
      const uint32_t a_tile = stage + wg * kWgM * kRowBytes;
      const uint32_t b_tile = stage + kBm * kRowBytes;
      wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < kBlockK / kMmaK; ++kk) {
        // NOTE: a k step inside the 128-byte swizzle row is a 32-byte start address step: the
        // hardware applies the swizzle to the address bits, the atom stays where it is.
        wgmma_m64n128k16(d, smem_desc(a_tile + kk * kMmaK * 2), smem_desc(b_tile + kk * kMmaK * 2));
      }
      wgmma_commit();
      // NOTE: after this chunk's MMAs are issued, so a tile change's search (the loader's
      // set_tile) does not delay them; walk - 2's stage is free since the barrier above.
      loader.issue(g, first, wk, base);  // into walk - 2's stage
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

// Writes 1 when this build holds the sm_90a code (the feature macro is set per target).
__global__ void wgmma_probe_kernel(int* out) {
#if defined(MOEBENCH_WGMMA_DEVICE)
  *out = 1;
#else
  *out = 0;
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
    int major = 0;
    CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
    CUDA_CHECK(cudaDeviceGetAttribute(&d.sms, cudaDevAttrMultiProcessorCount, device));
    if (major == 9) {
      // NOTE: a synchronous probe: the first call must come before any graph capture (engines
      // ask at load through cuda_grouped_gemm_wgmma_available).
      int* flag = nullptr;
      CUDA_CHECK(cudaMalloc(&flag, sizeof(int)));
      int host = 0;
      wgmma_probe_kernel<<<1, 1>>>(flag);
      const cudaError_t launched = cudaGetLastError();
      const cudaError_t copied = cudaMemcpy(&host, flag, sizeof(int), cudaMemcpyDeviceToHost);
      cudaFree(flag);
      CUDA_CHECK(launched);
      CUDA_CHECK(copied);
      d.present = host == 1;
    }
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
               kSmemBytes<kWgs>, stream, g);
  } else {
    pdl_launch(grouped_gemm_wgmma_kernel<kWgs, false>, dim3(grid), dim3(kWgs * kWarpgroup),
               kSmemBytes<kWgs>, stream, g);
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
