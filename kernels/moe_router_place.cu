// cuda_moe_router_route_place: decode's router GEMV (the skinny GEMM's f32 warp tiles over x +
// x_lo, one expert a warp) whose last block then routes the tokens and places their slots
// (route_place_block): one launch where the router GEMM and cuda_moe_route_place were two, with
// their bits (the same warp tile, the same routing code); up to 4 tokens, the norm before it too
// (RouterNormArgs, cuda_rmsnorm_residual_f32's bits).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda_check.h"
#include "kernels/gemm.h"
#include "kernels/gemm_skinny.cuh"
#include "kernels/gemm_skinny_warp.cuh"
#include "kernels/kernel_setup.cuh"
#include "kernels/launch_check.h"
#include "kernels/moe_permute.h"
#include "kernels/moe_route_place_device.cuh"
#include "kernels/pdl.cuh"
#include "kernels/rmsnorm_device.cuh"

namespace moebench {
namespace {

using namespace moe_route_detail;

// NOTE: the skinny kernel's block at one weight row a warp (what it takes for a router's few
// hundred rows at up to 4 tokens), so each logit sums as it does there.
constexpr int kWarpsPerBlock = 4;
constexpr int kThreads = kWarpsPerBlock * kSkinnyWarp;

// ----------------------------------------------------------------------------
// GPU kernel

// The norm's phase of the router launch: the tokens' rows normed into shared memory after the
// logits (the layout moe_router_norm_smem_bytes counts), and this block's share of y's and y_lo's
// columns written (nothing in the launch reads them back); t then reads the rows there.
__device__ __forceinline__ void router_norm_rows(SkinnyTile& t, const RouterNormArgs& norm,
                                                 float* smem) {
  const int64_t k_pad = (t.k + 7) / 8 * 8;
  float* part = smem + (t.m * t.n + 3) / 4 * 4;
  uint16_t* hi = reinterpret_cast<uint16_t*>(part + t.m * 1024);
  uint16_t* lo = hi + t.m * k_pad;
  residual_norm_rows<kMoeRouterNormMaxTokens>(norm.residual, norm.x, norm.w, t.m, t.k, norm.eps,
                                              part, hi, lo, k_pad);
  __syncthreads();
  const int64_t share = (t.k + gridDim.x - 1) / gridDim.x;
  const int64_t c0 = blockIdx.x * share, c1 = min(t.k, c0 + share);
  for (int r = 0; r < t.m; ++r) {
    for (int64_t c = c0 + threadIdx.x; c < c1; c += blockDim.x) {
      norm.y[r * t.k + c] = hi[r * k_pad + c];
      norm.y_lo[r * t.k + c] = lo[r * k_pad + c];
    }
  }
  t.a = hi;
  t.a_lo = lo;
  t.lda = k_pad;
}

// grid.x = ceil(n_experts / 4): warp w of block b computes expert (4 b + w)'s logits for every
// token, kM tokens a pass (the skinny warp tile of that row tile, so up to 16 tokens each logit
// sums as in cuda_gemm_skinny). The block that counts last (counter, then reset to 0 for the next
// launch) copies all logits into shared memory through L2 (other blocks wrote them) and routes and
// places there. NOTE: the classic last-block pattern: writes, __threadfence, then the atomic.
// kNorm (RouterNormArgs): every block first norms the tokens' rows into shared memory (the GEMV's
// A and A_lo there) and writes its share of them; the last block writes the stream. NOTE: every
// block reads the stream before it counts and only the last writes it: no block reads a new value.
template <MoeRouteMode kMode, int kM, bool kVec, bool kLo, bool kNorm>
__global__ void __launch_bounds__(kThreads)
    moe_router_place_kernel(SkinnyTile t, MoeRouteArgs route, MoePermuteArgs place,
                            int32_t* counter, RouterNormArgs norm) {
  static_assert(!kNorm || kLo, "the norm gives the router its f32 rows as y + y_lo");
  __shared__ int ids[kMoeRoutePlaceMaxSlots];
  __shared__ int first_row[kMaxExperts + 1];
  __shared__ bool last;
  extern __shared__ float4 dynamic_smem[];
  float* logits = reinterpret_cast<float*>(dynamic_smem);  // (n_tokens, n_experts)
  const int64_t col0 =
      static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kSkinnyWarp;
  if (t.prefetch) {  // the router's weight rows do not depend on the previous kernel
    const int64_t row0 = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock;
    const int64_t rows = min(static_cast<int64_t>(kWarpsPerBlock), t.n - row0);
    l2_prefetch(t.b + row0 * t.ldb, static_cast<size_t>(((rows - 1) * t.ldb + t.k) * 2));
  }
  pdl_wait();
  pdl_trigger();
  if constexpr (kNorm) router_norm_rows(t, norm, logits);
  for (int r0 = 0; r0 < t.m && col0 < t.n; r0 += kM) {  // warp-uniform
    SkinnyTile rt = t;
    rt.a += static_cast<int64_t>(r0) * t.lda;
    if (kLo) rt.a_lo += static_cast<int64_t>(r0) * t.lda;
    rt.c = static_cast<float*>(t.c) + static_cast<int64_t>(r0) * t.ldc;
    rt.m = min(kM, t.m - r0);
    float acc[kM][1];
    zero(acc);
    skinny_warp_accumulate<1, kM, kVec, kLo, kNorm>(rt, col0, acc,
                                                    [&](int r) { return rt.a + r * rt.lda; });
    skinny_warp_store<1, kM, float>(rt, col0, acc);
  }
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) {
    last = atomicAdd(counter, 1) == static_cast<int>(gridDim.x) - 1;
    if (last) atomicExch(counter, 0);  // every block has counted: ready for the next launch
  }
  __syncthreads();
  if (!last) return;  // block-uniform
  __threadfence();
  if constexpr (kNorm) {  // every other block has read the stream: write it
    for (int r = 0; r < t.m; ++r) residual_add_row(norm.residual + r * t.k, norm.x + r * t.k, t.k);
  }
  const float* global_logits = static_cast<const float*>(t.c);
  for (int i = threadIdx.x; i < t.m * t.n; i += kThreads) {
    logits[i] = __ldcg(global_logits + i / t.n * t.ldc + i % t.n);
  }
  __syncthreads();
  MoeRouteArgs r = route;
  r.logits = logits;  // (n_tokens, n_experts) in shared memory, as route_token reads it
  route_place_block<kMode>(r, place, ids, first_row);
}

// ----------------------------------------------------------------------------
// Launcher

template <MoeRouteMode kMode, int kM, bool kVec, bool kLo, bool kNorm>
void router_place_launch_m(const SkinnyTile& t, const MoeRouteArgs& route,
                           const MoePermuteArgs& place, int32_t* counter,
                           const RouterNormArgs& norm, cudaStream_t stream) {
  auto* kernel = moe_router_place_kernel<kMode, kM, kVec, kLo, kNorm>;
  constexpr int64_t kMaxSmem =
      kNorm ? kMoeRouterNormMaxSmem : kMoeRouterPlaceMaxLogits * sizeof(float);
  once_per_device([kernel] {
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(kMaxSmem)));
  });
  const dim3 grid(static_cast<unsigned>((t.n + kWarpsPerBlock - 1) / kWarpsPerBlock));
  const size_t smem = kNorm ? moe_router_norm_smem_bytes(t.m, t.k, t.n)
                            : static_cast<size_t>(t.m) * t.n * sizeof(float);
  pdl_launch(kernel, grid, dim3(kThreads), smem, stream, t, route, place, counter, norm);
  KERNEL_CHECK();
}

// Row passes of the skinny kernel's tile for the token count: 1, 2 or 4 tokens as cuda_gemm runs
// them, 8 or 16 a pass beyond (the norm: 4 tokens at most).
template <MoeRouteMode kMode, bool kVec, bool kLo, bool kNorm>
void router_place_launch(const SkinnyTile& t, const MoeRouteArgs& route,
                         const MoePermuteArgs& place, int32_t* counter, const RouterNormArgs& norm,
                         cudaStream_t stream) {
  skinny_rows_dispatch(t.m, [&](auto r) {
    constexpr int kM = decltype(r)::value;
    if constexpr (!kNorm || kM <= kMoeRouterNormMaxTokens) {
      router_place_launch_m<kMode, kM, kVec, kLo, kNorm>(t, route, place, counter, norm, stream);
    }
  });
}

template <bool kVec, bool kLo, bool kNorm>
void router_place_mode(const SkinnyTile& t, const MoeRouteArgs& route, const MoePermuteArgs& place,
                       int32_t* counter, const RouterNormArgs& norm, cudaStream_t stream) {
  switch (route.mode) {
    case MoeRouteMode::softmax_topk:
      router_place_launch<MoeRouteMode::softmax_topk, kVec, kLo, kNorm>(t, route, place, counter,
                                                                        norm, stream);
      break;
    case MoeRouteMode::softmax_group:
      router_place_launch<MoeRouteMode::softmax_group, kVec, kLo, kNorm>(t, route, place, counter,
                                                                         norm, stream);
      break;
    case MoeRouteMode::sigmoid_noaux_tc:
      router_place_launch<MoeRouteMode::sigmoid_noaux_tc, kVec, kLo, kNorm>(t, route, place,
                                                                            counter, norm, stream);
      break;
  }
}

// The refusals of a norm cuda_moe_router_route_place cannot take.
void router_norm_check(const GemmArgs& router, const RouterNormArgs& norm, const char* fn) {
  launch_require(moe_router_norm_fits(router.m, router.k, router.n), fn, "the norm takes 1 to ",
                 kMoeRouterNormMaxTokens, " tokens within ", kMoeRouterNormMaxSmem,
                 " bytes of shared memory, got ", router.m, " tokens of ", router.k, " over ",
                 router.n, " experts (", moe_router_norm_smem_bytes(router.m, router.k, router.n),
                 " bytes)");
  launch_require(norm.x != nullptr && norm.residual != nullptr && norm.w != nullptr &&
                     norm.y != nullptr && norm.y_lo != nullptr,
                 fn, "null norm pointer: x=", norm.x, " residual=", norm.residual, " w=", norm.w,
                 " y=", norm.y, " y_lo=", norm.y_lo);
  launch_require(norm.eps >= 0.0f, fn, "norm eps must be >= 0, got ", norm.eps);
  launch_require(router.a == norm.y && router.a_lo == norm.y_lo && router.lda == router.k, fn,
                 "router must read the norm's rows: a = norm.y, a_lo = norm.y_lo, lda = k");
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entry

void cuda_moe_router_route_place(const GemmArgs& router, const MoeRouteArgs& route,
                                 const MoePermuteArgs& place, int32_t* counter, cudaStream_t stream,
                                 const RouterNormArgs* norm) {
  const char* fn = "cuda_moe_router_route_place";
  gemm_args_check(router, fn, true);
  moe_route_place_check(route, place, fn);
  launch_require(router.m >= 1 && router.m == route.n_tokens, fn,
                 "router.m must equal route.n_tokens (>= 1), got m ", router.m, " and n_tokens ",
                 route.n_tokens);
  launch_require(router.m * router.n <= kMoeRouterPlaceMaxLogits, fn,
                 "n_tokens * n_experts must be <= ", kMoeRouterPlaceMaxLogits,
                 " (the logits one block routes from shared memory), got ", router.m * router.n);
  launch_require(router.n == route.n_experts && router.c == route.logits && router.c_f32 &&
                     router.ldc == router.n && router.b_transposed && router.batch == 1 &&
                     !router.a_swiglu && router.c_argmax == nullptr && router.alpha == 1.0f &&
                     router.beta == 0.0f,
                 fn,
                 "router must write route.logits: f32 (n_tokens, n_experts) packed, one batch "
                 "over a weight (n_experts, k), alpha 1, beta 0, no c_argmax");
  launch_require(counter != nullptr, fn, "counter (device, zeroed) must not be null");
  const SkinnyTile t = skinny_tile(router, stream);
  // NOTE: the skinny launcher's 16-byte condition, so each logit sums over the same loads.
  const bool vec = skinny_b_vec(router) && aligned16(router.a) &&
                   router.lda % kSkinnyVecElems == 0 &&
                   (router.a_lo == nullptr || aligned16(router.a_lo));
  if (norm != nullptr) {
    router_norm_check(router, *norm, fn);
    vec ? router_place_mode<true, true, true>(t, route, place, counter, *norm, stream)
        : router_place_mode<false, true, true>(t, route, place, counter, *norm, stream);
  } else if (router.a_lo != nullptr) {
    vec ? router_place_mode<true, true, false>(t, route, place, counter, {}, stream)
        : router_place_mode<false, true, false>(t, route, place, counter, {}, stream);
  } else {
    vec ? router_place_mode<true, false, false>(t, route, place, counter, {}, stream)
        : router_place_mode<false, false, false>(t, route, place, counter, {}, stream);
  }
}

}  // namespace moebench
