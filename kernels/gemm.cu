// cuda_gemm: the cuBLAS path (cublasGemmEx / cublasGemmStridedBatchedEx, bf16 in, bf16 or f32 out,
// f32 compute) and the algo dispatch; CublasContext, the graph-capturable cuBLAS handle.
#include <cuda_runtime_api.h>

#include <sstream>
#include <stdexcept>
#include <string>

#include "kernels/cublas_api.h"
#include "kernels/cuda_check.h"
#include "kernels/gemm.h"
#include "kernels/launch_check.h"

namespace moebench {
namespace {

// NOTE: NVIDIA recommends 32 MiB of cuBLAS workspace on Hopper; a fixed buffer keeps cuBLAS from
// allocating during stream capture.
constexpr size_t kCublasWorkspaceBytes = size_t{32} << 20;

std::string gemm_describe(const GemmArgs& g) {
  std::ostringstream os;
  os << "m " << g.m << " n " << g.n << " k " << g.k << " lda " << g.lda << " ldb " << g.ldb
     << " ldc " << g.ldc << " b_transposed " << g.b_transposed << " c_f32 " << g.c_f32 << " batch "
     << g.batch << " stride_a " << g.stride_a << " stride_b " << g.stride_b << " stride_c "
     << g.stride_c;
  return os.str();
}

void cublas_require(cublasStatus_t st, const char* what, const GemmArgs& g) {
  if (st == CUBLAS_STATUS_SUCCESS) return;
  throw std::runtime_error(std::string("cuda_gemm: ") + what +
                           " failed: " + cublas_api().status_name(st) + " (" +
                           cublas_api().status_string(st) + ") for " + gemm_describe(g));
}

// Row-major C (m, n) is column-major C^T (n, m) with the same leading dim, so cuBLAS computes
// C^T (n, m) = op(B)^T (n, k) · A^T (k, m). Row-major A (m, k) is column-major A^T (k, m): op N.
// A weight B (n, k) row-major is column-major B^T (k, n), so op(B)^T = B needs op T; a (k, n) B is
// column-major (n, k) = the op(B)^T wanted: op N.
void gemm_cublas(CublasContext& ctx, const GemmArgs& g, cudaStream_t stream) {
  const CublasApi& api = cublas_api();
  auto h = static_cast<cublasHandle_t>(ctx.handle());
  cublas_require(api.set_stream(h, stream), "cublasSetStream", g);
  // NOTE: cublasSetStream resets the workspace to cuBLAS's own pool, so set ours after it.
  cublas_require(api.set_workspace(h, ctx.workspace(), ctx.workspace_bytes()), "cublasSetWorkspace",
                 g);
  const cublasOperation_t op_b = g.b_transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cudaDataType_t c_type = g.c_f32 ? CUDA_R_32F : CUDA_R_16BF;
  const int m = static_cast<int>(g.n), n = static_cast<int>(g.m), k = static_cast<int>(g.k);
  const int lda = static_cast<int>(g.ldb), ldb = static_cast<int>(g.lda);
  const int ldc = static_cast<int>(g.ldc);
  if (g.batch == 1) {
    cublas_require(api.gemm_ex(h, op_b, CUBLAS_OP_N, m, n, k, &g.alpha, g.b, CUDA_R_16BF, lda, g.a,
                               CUDA_R_16BF, ldb, &g.beta, g.c, c_type, ldc, CUBLAS_COMPUTE_32F,
                               CUBLAS_GEMM_DEFAULT),
                   "cublasGemmEx", g);
    if (g.a_lo != nullptr) {  // + alpha * A_lo · op(B), into the C just written
      const float one = 1.0f;
      cublas_require(api.gemm_ex(h, op_b, CUBLAS_OP_N, m, n, k, &g.alpha, g.b, CUDA_R_16BF, lda,
                                 g.a_lo, CUDA_R_16BF, ldb, &one, g.c, c_type, ldc,
                                 CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                     "cublasGemmEx (a_lo)", g);
    }
  } else {
    cublas_require(api.gemm_strided_batched_ex(h, op_b, CUBLAS_OP_N, m, n, k, &g.alpha, g.b,
                                               CUDA_R_16BF, lda, g.stride_b, g.a, CUDA_R_16BF, ldb,
                                               g.stride_a, &g.beta, g.c, c_type, ldc, g.stride_c,
                                               g.batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                   "cublasGemmStridedBatchedEx", g);
  }
}

}  // namespace

// ----------------------------------------------------------------------------
// CublasContext

CublasContext::CublasContext() {
  const CublasApi& api = cublas_api();
  cublasHandle_t h = nullptr;
  CUBLAS_CHECK(api.create(&h));
  handle_ = h;
  try {
    CUBLAS_CHECK(api.set_pointer_mode(h, CUBLAS_POINTER_MODE_HOST));
    CUBLAS_CHECK(api.set_math_mode(h, CUBLAS_DEFAULT_MATH));
    CUDA_CHECK(cudaMalloc(&workspace_, kCublasWorkspaceBytes));
    workspace_bytes_ = kCublasWorkspaceBytes;
    CUBLAS_CHECK(api.set_workspace(h, workspace_, workspace_bytes_));
  } catch (...) {
    release();
    throw;
  }
}

CublasContext::~CublasContext() { release(); }

CublasContext::CublasContext(CublasContext&& o) noexcept
    : handle_(o.handle_), workspace_(o.workspace_), workspace_bytes_(o.workspace_bytes_) {
  o.handle_ = nullptr;
  o.workspace_ = nullptr;
  o.workspace_bytes_ = 0;
}

CublasContext& CublasContext::operator=(CublasContext&& o) noexcept {
  if (this != &o) {
    release();
    handle_ = o.handle_;
    workspace_ = o.workspace_;
    workspace_bytes_ = o.workspace_bytes_;
    o.handle_ = nullptr;
    o.workspace_ = nullptr;
    o.workspace_bytes_ = 0;
  }
  return *this;
}

// NOTE: no throw from here (destructor); errors stay sticky for the next checked call.
void CublasContext::release() noexcept {
  if (handle_ != nullptr) cublas_api().destroy(static_cast<cublasHandle_t>(handle_));
  if (workspace_ != nullptr) cudaFree(workspace_);
  handle_ = nullptr;
  workspace_ = nullptr;
  workspace_bytes_ = 0;
}

// ----------------------------------------------------------------------------
// Public entry

void cuda_gemm(CublasContext& ctx, const GemmArgs& args, cudaStream_t stream) {
  gemm_args_check(args, "cuda_gemm", true);
  if (args.m == 0) return;
  launch_require(!args.a_swiglu || gemm_pick_algo(args) == GemmAlgo::skinny, "cuda_gemm",
                 "a_swiglu needs the skinny kernel (algo skinny, or automatic with m <= ",
                 kGemmSkinnyAutoMaxM, "), got m ", args.m);
  launch_require(args.c_argmax == nullptr || gemm_pick_algo(args) == GemmAlgo::skinny, "cuda_gemm",
                 "c_argmax needs the skinny kernel (algo skinny, or automatic with m <= ",
                 kGemmSkinnyAutoMaxM, "), got m ", args.m);
  switch (gemm_pick_algo(args)) {
    case GemmAlgo::skinny:
      cuda_gemm_skinny(args, stream);
      return;
    case GemmAlgo::cublas:
    case GemmAlgo::automatic:  // resolved by gemm_pick_algo; listed for -Wswitch
      launch_require(ctx.handle() != nullptr, "cuda_gemm", "the CublasContext was moved from");
      gemm_cublas(ctx, args, stream);
      return;
  }
}

}  // namespace moebench
