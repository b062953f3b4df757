// cuda_grouped_gemm_host: the prefill MoE expert GEMM, one cuBLAS GEMM per non-empty expert from a
// host copy of the offsets. (The graph-capturable cuda_grouped_gemm lives in gemm_skinny.cu.)
#include <cstdint>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/grouped_gemm.h"
#include "kernels/launch_check.h"

namespace moebench {

void cuda_grouped_gemm_host(CublasContext& ctx, const GroupedGemmArgs& args,
                            const std::vector<int32_t>& host_offsets, cudaStream_t stream) {
  const char* fn = "cuda_grouped_gemm_host";
  grouped_gemm_args_check(args, fn);
  launch_require(!args.x_swiglu && args.x_slots == nullptr, fn,
                 "x_swiglu and x_slots rows need cuda_grouped_gemm or cuda_grouped_gemm_tc (the "
                 "cuBLAS path takes plain rows: cuda_swiglu or the permute's gather first)");
  launch_require(host_offsets.size() == static_cast<size_t>(args.n_experts) + 1, fn,
                 "host_offsets must have n_experts + 1 = ", args.n_experts + 1, " values, got ",
                 host_offsets.size());
  launch_require(host_offsets[0] == 0, fn, "host_offsets[0] must be 0, got ", host_offsets[0]);
  for (int e = 0; e < args.n_experts; ++e) {
    launch_require(host_offsets[e + 1] >= host_offsets[e], fn,
                   "host_offsets must be nondecreasing, [", e, "] = ", host_offsets[e], " > [",
                   e + 1, "] = ", host_offsets[e + 1]);
  }
  launch_require(host_offsets[args.n_experts] <= args.max_rows, fn,
                 "host_offsets[n_experts] = ", host_offsets[args.n_experts], " exceeds max_rows ",
                 args.max_rows);
  for (int e = 0; e < args.n_experts; ++e) {
    const int64_t r0 = host_offsets[e], rows = host_offsets[e + 1] - r0;
    if (rows == 0) continue;
    // (rows, k) x (n, k)^T -> (rows, n)
    cuda_gemm(ctx,
              gemm_args_dense(rows, args.n, args.k, args.x + r0 * args.k,
                              args.w + e * args.n * args.k, args.y + r0 * args.n, GemmAlgo::cublas),
              stream);
  }
}

}  // namespace moebench
