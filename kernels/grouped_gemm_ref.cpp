// CPU reference of the MoE grouped expert GEMM (kernels/grouped_gemm.h): each expert's rows through
// its (n, k) weight with ref_gemm, output rounded to bf16; x_swiglu rows reduced by ref_swiglu.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/grouped_gemm.h"
#include "kernels/launch_check.h"
#include "kernels/reference.h"

namespace moebench {

void ref_grouped_gemm(const std::vector<float>& x, const std::vector<int32_t>& offsets,
                      const std::vector<float>& w, const GroupedGemmArgs& args,
                      std::vector<float>& y, const std::vector<int32_t>& x_slots) {
  const char* fn = "ref_grouped_gemm";
  if (!x_slots.empty()) {  // the gather first, then the plain GEMM over the gathered rows
    launch_require(!args.x_swiglu && args.slot_div >= 1, fn,
                   "x_slots needs slot_div >= 1 and no x_swiglu");
    std::vector<float> gathered;
    for (int32_t slot : x_slots) {
      const int64_t row = slot / args.slot_div;
      launch_require(slot >= 0 && (row + 1) * args.k <= static_cast<int64_t>(x.size()), fn,
                     "x_slots value ", slot, " is past x's ", x.size() / args.k, " rows");
      gathered.insert(gathered.end(), x.begin() + row * args.k, x.begin() + (row + 1) * args.k);
    }
    return ref_grouped_gemm(gathered, offsets, w, args, y);
  }
  launch_require(args.n_experts >= 1 && args.n >= 1 && args.k >= 1, fn,
                 "n_experts, n, k must be >= 1, got n_experts ", args.n_experts, " n ", args.n,
                 " k ", args.k);
  launch_require(offsets.size() == static_cast<size_t>(args.n_experts) + 1, fn,
                 "offsets must have n_experts + 1 = ", args.n_experts + 1, " values, got ",
                 offsets.size());
  launch_require(offsets[0] == 0, fn, "offsets[0] must be 0, got ", offsets[0]);
  for (int e = 0; e < args.n_experts; ++e) {
    launch_require(offsets[e + 1] >= offsets[e], fn, "offsets must be nondecreasing, offsets[", e,
                   "] = ", offsets[e], " > offsets[", e + 1, "] = ", offsets[e + 1]);
  }
  const int64_t rows = offsets[args.n_experts];
  const int64_t ld_x = args.x_swiglu ? 2 * args.k : args.k;
  launch_require(static_cast<int64_t>(x.size()) >= rows * ld_x, fn, "x has ", x.size(),
                 " values, rows ", rows, " * ", ld_x, " needed");
  if (args.y_swiglu) {  // the plain product, then its SwiGLU (gate columns, then up columns)
    launch_require(args.n % 2 == 0 && !args.x_swiglu, fn,
                   "y_swiglu needs an even n and no x_swiglu, got n ", args.n);
    GroupedGemmArgs plain = args;
    plain.y_swiglu = false;
    std::vector<float> gu;
    ref_grouped_gemm(x, offsets, w, plain, gu);
    const int64_t half = args.n / 2;
    ref_swiglu(gu.data(), args.n, gu.data() + half, args.n, rows, half, y);
    return;
  }
  if (args.x_swiglu) {
    std::vector<float> act;
    ref_swiglu(x.data(), ld_x, x.data() + args.k, ld_x, rows, args.k, act);
    GroupedGemmArgs plain = args;
    plain.x_swiglu = false;
    ref_grouped_gemm(act, offsets, w, plain, y);
    return;
  }
  launch_require(static_cast<int64_t>(w.size()) == args.n_experts * args.n * args.k, fn, "w has ",
                 w.size(), " values, want n_experts * n * k = ", args.n_experts * args.n * args.k);
  y.assign(rows * args.n, 0.0f);
  for (int e = 0; e < args.n_experts; ++e) {
    const int64_t r0 = offsets[e], m = offsets[e + 1] - offsets[e];
    if (m == 0) continue;
    // One expert = one plain GEMM over copies of its rows and weight.
    const std::vector<float> xe(x.begin() + r0 * args.k, x.begin() + (r0 + m) * args.k);
    const std::vector<float> we(w.begin() + e * args.n * args.k,
                                w.begin() + (e + 1) * args.n * args.k);
    std::vector<float> ye(m * args.n, 0.0f);
    ref_gemm(xe, we, ye, gemm_args_dense(m, args.n, args.k));
    std::copy(ye.begin(), ye.end(), y.begin() + r0 * args.n);
  }
}

}  // namespace moebench
