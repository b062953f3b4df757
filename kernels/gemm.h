// Dense bf16 GEMM for the CUDA engine: a graph-capturable cuBLAS context, cuda_gemm (cuBLAS or the
// own memory-bound skinny kernel for decode) and its CPU reference ref_gemm.
// Compiles without CUDA headers; CublasContext and cuda_gemm are defined only in CUDA builds
// (callers guard with MOEBENCH_HAVE_CUDA), ref_gemm always. GemmArgs pointers are device pointers.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/cuda_stream.h"
#include "kernels/launch_check.h"

namespace moebench {

// A cuBLAS handle with a fixed workspace set (cublasSetWorkspace) so calls are graph-capturable;
// pointer mode host; math mode default (tensor ops). Move-only RAII. Created on the current device.
// NOTE: one context serves one stream at a time: cuda_gemm rebinds the stream and workspace on
// every call, so two threads must not share a context.
class CublasContext {
 public:
  CublasContext();
  ~CublasContext();
  CublasContext(const CublasContext&) = delete;
  CublasContext& operator=(const CublasContext&) = delete;
  CublasContext(CublasContext&& o) noexcept;
  CublasContext& operator=(CublasContext&& o) noexcept;

  void* handle() const { return handle_; }  // a cublasHandle_t
  void* workspace() const { return workspace_; }
  size_t workspace_bytes() const { return workspace_bytes_; }

 private:
  void release() noexcept;
  void* handle_ = nullptr;
  void* workspace_ = nullptr;  // device, workspace_bytes_
  size_t workspace_bytes_ = 0;
};

enum class GemmAlgo { automatic, cublas, skinny };

// The skinny kernel serves at most this many rows of A (decode batches), and at most this many
// batch entries (one grid row each: CUDA's grid.y limit).
constexpr int64_t kGemmSkinnyMaxM = 16;
constexpr int64_t kGemmSkinnyMaxBatch = 65535;

// C (m, n) = alpha * A (m, k) · op(B) + beta * C, ROW-MAJOR views with leading dims (elements
// between rows). B is a weight (n, k) (HF Linear layout, C = A·B^T) when b_transposed, else (k, n).
// A, B bf16; C bf16 or f32 (c_f32). f32 accumulation. batch > 1 = strided batched (stride_* in
// elements between consecutive matrices). beta == 0 never reads C (it may hold garbage).
struct GemmArgs {
  const bf16_bits* a = nullptr;  // (batch, m, lda) view
  int64_t lda = 0;               // >= k
  const bf16_bits* b = nullptr;  // (batch, n, ldb) when b_transposed, else (batch, k, ldb)
  int64_t ldb = 0;               // >= k when b_transposed, else >= n
  bool b_transposed = true;
  void* c = nullptr;  // (batch, m, ldc) bf16 or f32
  int64_t ldc = 0;    // >= n
  bool c_f32 = false;
  int64_t m = 0, n = 0, k = 0;  // m == 0 is a no-op; n, k >= 1
  float alpha = 1.0f, beta = 0.0f;
  int batch = 1;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
  // automatic: skinny when m <= kGemmSkinnyAutoMaxM && batch == 1 && b_transposed, else cublas.
  // skinny serves m <= kGemmSkinnyMaxM, batch <= kGemmSkinnyMaxBatch and both B layouts (MLA's
  // per-head absorb GEMMs at decode ask for it by name); it throws std::invalid_argument
  // otherwise (gemm_skinny_check).
  GemmAlgo algo = GemmAlgo::automatic;
  // Optional (batch == 1; b_transposed for the skinny kernel): A's low part, laid out as a (lda):
  // the product uses a + a_lo, an f32 A carried as two bf16 (hi = bf16(x), lo = bf16(x - hi): ~16
  // significant bits). The skinny kernel reads both in one pass (f32 C only); cuBLAS runs a second
  // GEMM that accumulates.
  const bf16_bits* a_lo = nullptr;
  // Optional (skinny only, batch 1, b_transposed, no a_lo): A's rows hold [gate (k) | up (k)] (lda
  // >= 2k) and the product's A row is bf16(silu(gate) * up), formed as it is loaded (an MLP's
  // SwiGLU fused into its down projection: the values cuda_swiglu would write, so the same bits
  // as the two launches).
  bool a_swiglu = false;
  // Optional (skinny only, batch 1, b_transposed, f32 c, beta 0): c_argmax[r] = max(c_argmax[r],
  // sample_argmax_key(C[r, j], j)) over the row's n columns, by atomic max (kernels/sampling.h):
  // zeroed before, it ends as the greedy pick of the row's logits (SampleArgs::argmax), so the
  // logits GEMV leaves the argmax and the sampler need not pass over the logits again.
  uint64_t* c_argmax = nullptr;
};

// The packed dense case every caller starts from: C (m, n) = A (m, k) · W^T with W an (n, k)
// weight, all row-major with leading dims k, k and n (pointers may stay null for the CPU
// reference, which takes vectors).
inline GemmArgs gemm_args_dense(int64_t m, int64_t n, int64_t k, const bf16_bits* a = nullptr,
                                const bf16_bits* w = nullptr, void* c = nullptr,
                                GemmAlgo algo = GemmAlgo::automatic) {
  GemmArgs g;
  g.a = a;
  g.lda = k;
  g.b = w;
  g.ldb = k;
  g.c = c;
  g.ldc = n;
  g.m = m;
  g.n = n;
  g.k = k;
  g.algo = algo;
  return g;
}

// Throws std::invalid_argument naming entry and the bad field when args break the rules above
// (shapes, leading dims, batch, strides, 32-bit cuBLAS limits; null pointers when check_pointers).
// NOTE: inline so the CUDA library and the CPU references (two static libraries) both have it.
inline void gemm_args_check(const GemmArgs& g, const char* fn, bool check_pointers) {
  constexpr int64_t kMaxInt = INT32_MAX;  // cuBLAS takes int shapes and leading dims
  launch_require(g.m >= 0 && g.m <= kMaxInt, fn, "m must be in [0, 2^31), got ", g.m);
  launch_require(g.n >= 1 && g.n <= kMaxInt, fn, "n must be in [1, 2^31), got ", g.n);
  launch_require(g.k >= 1 && g.k <= kMaxInt, fn, "k must be in [1, 2^31), got ", g.k);
  launch_require(g.batch >= 1, fn, "batch must be >= 1, got ", g.batch);
  const int64_t a_cols = g.a_swiglu ? 2 * g.k : g.k;
  launch_require(g.lda >= a_cols && g.lda <= kMaxInt, fn, "lda must be in [", a_cols,
                 ", 2^31) (a_swiglu ", g.a_swiglu, "), got lda ", g.lda, " with k ", g.k);
  const int64_t b_cols = g.b_transposed ? g.k : g.n;
  launch_require(g.ldb >= b_cols && g.ldb <= kMaxInt, fn, "ldb must be in [",
                 g.b_transposed ? "k" : "n", " = ", b_cols, ", 2^31) (b_transposed ",
                 g.b_transposed, "), got ", g.ldb);
  launch_require(g.ldc >= g.n && g.ldc <= kMaxInt, fn, "ldc must be in [n, 2^31), got ldc ", g.ldc,
                 " with n ", g.n);
  launch_require(g.batch == 1 || (g.stride_a >= 0 && g.stride_b >= 0 && g.stride_c >= 0), fn,
                 "batch strides must be >= 0, got stride_a ", g.stride_a, " stride_b ", g.stride_b,
                 " stride_c ", g.stride_c);
  launch_require(
      !check_pointers || g.m == 0 || (g.a != nullptr && g.b != nullptr && g.c != nullptr), fn,
      "null pointer: a=", g.a, " b=", g.b, " c=", g.c);
  launch_require(g.a_lo == nullptr || (g.batch == 1 && g.c_f32), fn,
                 "a_lo needs batch 1 and an f32 c, got batch ", g.batch, " c_f32 ", g.c_f32);
  launch_require(
      !g.a_swiglu ||
          (g.batch == 1 && g.b_transposed && g.a_lo == nullptr && g.algo != GemmAlgo::cublas),
      fn, "a_swiglu needs batch 1, a transposed b, no a_lo and the skinny kernel, got batch ",
      g.batch, " b_transposed ", g.b_transposed);
  launch_require(g.c_argmax == nullptr || (g.batch == 1 && g.b_transposed && g.c_f32 &&
                                           g.beta == 0.0f && g.algo != GemmAlgo::cublas),
                 fn,
                 "c_argmax needs batch 1, a transposed b, an f32 c, beta 0 and the skinny kernel, "
                 "got batch ",
                 g.batch, " b_transposed ", g.b_transposed, " c_f32 ", g.c_f32, " beta ", g.beta);
}

// Throws std::invalid_argument naming the field when the skinny kernel does not serve args, which
// gemm_args_check must already accept: m <= kGemmSkinnyMaxM, batch <= kGemmSkinnyMaxBatch, a_lo
// only over a transposed b (the (k, n) kernel reads no low part), a_swiglu only into a bf16 c.
inline void gemm_skinny_check(const GemmArgs& g, const char* fn) {
  launch_require(g.m <= kGemmSkinnyMaxM, fn, "m must be <= ", kGemmSkinnyMaxM, ", got ", g.m);
  launch_require(g.batch <= kGemmSkinnyMaxBatch, fn, "batch must be <= ", kGemmSkinnyMaxBatch,
                 ", got ", g.batch);
  launch_require(g.a_lo == nullptr || g.b_transposed, fn,
                 "a_lo needs a transposed b in the skinny kernel");
  launch_require(!g.a_swiglu || !g.c_f32, fn, "a_swiglu writes a bf16 c");
}

// Graph-capturable (both algos). Throws std::invalid_argument on bad arguments (naming them) and
// std::runtime_error with the cuBLAS status name and the shape when cuBLAS fails.
void cuda_gemm(CublasContext& ctx, const GemmArgs& args, cudaStream_t stream);

// The skinny kernel alone (no cuBLAS context): args.algo is ignored; gemm_args_check and
// gemm_skinny_check say what it serves. Memory-bound, one grid row per batch entry (a, b, c moved
// by stride_a, stride_b, stride_c). A transposed B (n, k): each warp streams 1-4 weight rows
// once with 16-byte loads when a, b are 16-byte aligned and lda, ldb (and for batch > 1
// stride_a, stride_b) multiples of 8, scalar loads otherwise. A (k, n) B: threads own 8
// consecutive output columns and split k, so each B row is read once as coalesced 16-byte loads
// when b is 16-byte aligned and ldb (stride_b) a multiple of 8, scalar loads otherwise; A's rows
// pass through shared memory. Programmatic launch on a marked stream (kernels/pdl.h).
void cuda_gemm_skinny(const GemmArgs& args, cudaStream_t stream);

// The algo cuda_gemm runs for args (automatic resolved).
// NOTE: the skinny kernel's FMAs run on CUDA cores: measured on the H100 in V2-Lite decode, batch
// 16 through it (16.8 ms/step) was slower than batch 64 through cuBLAS (15.0 ms/step), so
// automatic keeps it for the few-row case where it only streams weights.
constexpr int64_t kGemmSkinnyAutoMaxM = 4;

inline GemmAlgo gemm_pick_algo(const GemmArgs& args) {
  if (args.algo != GemmAlgo::automatic) return args.algo;
  const bool skinny = args.m <= kGemmSkinnyAutoMaxM && args.batch == 1 && args.b_transposed;
  return skinny ? GemmAlgo::skinny : GemmAlgo::cublas;
}

// CPU reference of cuda_gemm on f32 vectors holding bf16 values, indexed like the device views
// (the pointers in args are ignored). Double accumulation; out = alpha * acc + beta * c, rounded
// to bf16 when !c_f32. Elements of c outside the views are left as they are. Throws
// std::invalid_argument when a vector is too small for its view. With a_lo (args.a_lo's values,
// laid out as a) the product uses a + a_lo.
void ref_gemm(const std::vector<float>& a, const std::vector<float>& b, std::vector<float>& c,
              const GemmArgs& args, const std::vector<float>* a_lo = nullptr);

}  // namespace moebench
