// CPU reference of cuda_mla_prepare (kernels/mla_prepare.h): per token, the latents' norms, k_pe's
// rotation into the cache row and the queries' rotation, on the f32 cores the CPU engine runs.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/launch_check.h"
#include "kernels/mla_prepare.h"
#include "kernels/reference.h"

namespace moebench {
namespace {

void require_size(const std::vector<float>& v, int64_t need, const char* what) {
  launch_require(static_cast<int64_t>(v.size()) >= need, "ref_mla_prepare", what, " has ", v.size(),
                 " values, ", need, " needed");
}

// x (dim) -> y (dim) = bf16(rmsnorm(x) * w); x and y may alias.
void norm_row(const float* x, int64_t dim, const std::vector<float>& w, float eps, float* y) {
  ref_rmsnorm_f32(x, 1, dim, w.data(), eps, y);
  for (int64_t i = 0; i < dim; ++i) y[i] = bf16_round(y[i]);
}

}  // namespace

void ref_mla_prepare(const MlaPrepareArgs& args, MlaPrepareHost& h) {
  const char* fn = "ref_mla_prepare";
  // The device checks, with the host buffers standing in for the pointers.
  static bf16_bits present;
  static int32_t present_i;
  static float present_f;
  MlaPrepareArgs c = args;
  c.q_latent = h.q_latent.empty() ? nullptr : &present;
  c.q_a_norm = h.q_a_norm.empty() ? nullptr : &present;
  c.kv = h.kv.empty() ? nullptr : &present;
  c.kv_a_norm = h.kv_a_norm.empty() ? nullptr : &present;
  c.cache = h.cache.empty() ? nullptr : &present;
  c.slots = h.slots.empty() ? nullptr : &present_i;
  c.q = h.q.empty() ? nullptr : &present;
  c.q_pe_out = h.q_pe_out.empty() ? nullptr : &present;
  c.positions = h.positions.empty() ? nullptr : &present_i;
  c.inv_freq = h.inv_freq.empty() ? nullptr : &present_f;
  mla_prepare_args_check(c, fn);
  const int64_t T = args.n_tokens;
  const int rd = args.rope_dim, half = rd / 2;
  if (c.kv != nullptr || c.q != nullptr) {
    launch_require(static_cast<int64_t>(h.positions.size()) >= T, fn, "positions has ",
                   h.positions.size(), " values, ", T, " needed");
    launch_require(static_cast<int>(h.inv_freq.size()) == half, fn, "inv_freq has ",
                   h.inv_freq.size(), " values, want rope_dim / 2 = ", half);
  }
  if (c.q_latent != nullptr) {
    require_size(h.q_latent, (T - 1) * args.q_latent_stride + args.q_lora, "q_latent");
    require_size(h.q_a_norm, args.q_lora, "q_a_norm");
    for (int64_t t = 0; t < T; ++t) {
      float* row = h.q_latent.data() + t * args.q_latent_stride;
      norm_row(row, args.q_lora, h.q_a_norm, args.eps, row);
    }
  }
  std::vector<float> cs(half), sn(half), rotated(rd);
  auto angles = [&](int64_t t) {
    const float p = static_cast<float>(h.positions[t]);
    for (int i = 0; i < half; ++i) {
      const float f = h.inv_freq[i] * p;
      cs[i] = std::cos(f) * args.attention_factor;
      sn[i] = std::sin(f) * args.attention_factor;
    }
  };
  if (c.kv != nullptr) {
    require_size(h.kv, (T - 1) * args.kv_stride + args.lora + rd, "kv");
    require_size(h.kv_a_norm, args.lora, "kv_a_norm");
    launch_require(static_cast<int64_t>(h.slots.size()) >= T, fn, "slots has ", h.slots.size(),
                   " values, ", T, " needed");
    for (int64_t t = 0; t < T; ++t) {
      const int64_t slot = h.slots[t];
      if (slot < 0) continue;
      require_size(h.cache, slot * args.cache_stride + args.lora + rd, "cache");
      const float* src = h.kv.data() + t * args.kv_stride;
      float* dst = h.cache.data() + slot * args.cache_stride;
      norm_row(src, args.lora, h.kv_a_norm, args.eps, dst);
      angles(t);
      ref_rope_rotate(src + args.lora, rd, cs.data(), sn.data(), args.pairing, rotated.data());
      for (int i = 0; i < rd; ++i) dst[args.lora + i] = bf16_round(rotated[i]);
    }
  }
  if (c.q != nullptr) {
    require_size(h.q, (T - 1) * args.q_stride + int64_t{args.n_heads} * args.head_stride, "q");
    if (args.n_pe_rows > 0) {
      require_size(h.q_pe_out,
                   (args.n_pe_rows - 1) * args.q_pe_token_stride +
                       int64_t{args.n_heads - 1} * args.q_pe_head_stride + rd,
                   "q_pe_out");
    }
    for (int64_t t = 0; t < T; ++t) {
      angles(t);
      for (int hd = 0; hd < args.n_heads; ++hd) {
        float* v =
            h.q.data() + t * args.q_stride + int64_t{hd} * args.head_stride + args.rot_offset;
        ref_rope_rotate(v, rd, cs.data(), sn.data(), args.pairing, rotated.data());
        for (int i = 0; i < rd; ++i) v[i] = bf16_round(rotated[i]);
        if (t >= args.n_pe_rows) continue;
        float* out =
            h.q_pe_out.data() + t * args.q_pe_token_stride + int64_t{hd} * args.q_pe_head_stride;
        for (int i = 0; i < rd; ++i) out[i] = v[i];
      }
    }
  }
}

}  // namespace moebench
