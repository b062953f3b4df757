// Test helpers for kernels: GPU-vs-reference comparison (abs + rel tolerance, NaN/Inf masks, worst
// index in the message), a seeded bf16 input generator and MOEBENCH_REQUIRE_GPU.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/device_info.h"
#include "tests/catch.h"

namespace moebench::test {

struct CompareResult {
  bool ok = true;
  int64_t n_bad = 0;
  int64_t worst = -1;  // index of the worst mismatch (a mask mismatch beats any finite excess)
  std::string message;
};

// Why a pair is not close, as an excess > 0; 0 when close. Mask mismatches return +inf.
inline double compare_excess(float got, float want, double atol, double rtol) {
  if (std::isnan(got) || std::isnan(want))
    return std::isnan(got) == std::isnan(want) ? 0.0 : INFINITY;
  if (std::isinf(got) || std::isinf(want)) return got == want ? 0.0 : INFINITY;
  const double diff = std::abs(static_cast<double>(got) - want);
  const double tol = atol + rtol * std::abs(static_cast<double>(want));
  return diff > tol ? diff - tol : 0.0;
}

// |got - want| <= atol + rtol * |want| elementwise; NaN and Inf (with sign) must match exactly.
inline CompareResult compare_close(const std::vector<float>& got, const std::vector<float>& want,
                                   double atol = 1e-2, double rtol = 1e-2) {
  CompareResult r;
  std::ostringstream os;
  if (got.size() != want.size()) {
    r.ok = false;
    os << "size mismatch: got " << got.size() << " values, want " << want.size();
    r.message = os.str();
    return r;
  }
  double worst_excess = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double e = compare_excess(got[i], want[i], atol, rtol);
    if (e <= 0.0) continue;
    ++r.n_bad;
    if (r.worst < 0 || e > worst_excess) {
      worst_excess = e;
      r.worst = static_cast<int64_t>(i);
    }
  }
  r.ok = r.n_bad == 0;
  if (!r.ok) {
    os.precision(9);
    os << r.n_bad << " of " << got.size() << " values out of tolerance (atol " << atol << ", rtol "
       << rtol << "); worst at index " << r.worst << ": got " << got[r.worst] << ", want "
       << want[r.worst];
    r.message = os.str();
  }
  return r;
}

// n bf16-representable values uniform in [lo, hi), seeded so failures reproduce.
inline std::vector<float> random_bf16(size_t n, uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = bf16_round(dist(rng));
  return v;
}

// True when a CUDA device can run kernels; otherwise why not.
inline bool gpu_ready(std::string* why) {
#ifndef MOEBENCH_HAVE_CUDA
  *why = "built without CUDA (MOEBENCH_CUDA=OFF or no nvcc)";
  return false;
#else
  return !gpu_list(why).empty();
#endif
}

// The message of the std::invalid_argument f throws: a launcher's or checker's refusal ("" when
// it throws none).
template <typename F>
std::string invalid_argument_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace moebench::test

// Skips the current [gpu] test, visibly, when there is no CUDA build or device.
#define MOEBENCH_REQUIRE_GPU()                             \
  do {                                                     \
    std::string moebench_why_;                             \
    if (!::moebench::test::gpu_ready(&moebench_why_)) {    \
      MOEBENCH_SKIP("GPU test skipped: " + moebench_why_); \
    }                                                      \
  } while (0)
