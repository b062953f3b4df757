// [gpu] tests: cuda_sample against ref_sample (identical ids: greedy, ties, temperature 0 / 0.7 /
// 1.5, top-k 1 / 50, top-p 0.1 / 0.9 / 1 over vocab 1, 1000, 102400), a chi-square check of the
// GPU draws against the warped distribution, the skinny logits GEMV's argmax keys (c_argmax) taken
// and reset by cuda_sample, and cuda_logprob_gather against double. They skip visibly without a
// CUDA build or device.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/gemm.h"
#include "kernels/sampling.h"
#include "tests/catch.h"
#include "tests/kernels/kernel_compare.h"

#ifdef MOEBENCH_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#include "tests/kernels/gpu_test_stream.h"
#endif

namespace moebench {
namespace {

#ifdef MOEBENCH_HAVE_CUDA
// cuda_sample over device logits (n_rows, ld) with the host params copied to the device (and the
// logits writer's argmax keys, when given).
// non_finite, when given, gets the kernel's per-row flags.
std::vector<int32_t> gpu_sample_at(const float* logits, int64_t ld, int64_t n_rows, int vocab,
                                   const SampleHostParams& p, uint64_t* argmax = nullptr,
                                   std::vector<int32_t>* non_finite = nullptr) {
  TestStream st;
  DeviceBuffer<float> d_t(p.temperature), d_p(p.top_p);
  DeviceBuffer<int32_t> d_k(p.top_k), d_out(n_rows), d_bad(n_rows);
  DeviceBuffer<uint64_t> d_seed(p.seed), d_draw(p.draw);
  SampleArgs a;
  a.logits = logits;
  a.ld = ld;
  a.n_rows = n_rows;
  a.vocab = vocab;
  a.temperature = d_t.data();
  a.top_p = d_p.data();
  a.top_k = d_k.data();
  a.seed = d_seed.data();
  a.draw = d_draw.data();
  a.out = d_out.data();
  a.argmax = argmax;
  a.non_finite = d_bad.data();
  cuda_sample(a, st.s);
  st.sync();
  if (non_finite != nullptr) *non_finite = d_bad.download();
  return d_out.download();
}

// cuda_sample over host logits (n_rows, ld).
std::vector<int32_t> gpu_sample(const std::vector<float>& logits, int64_t ld, int64_t n_rows,
                                int vocab, const SampleHostParams& p,
                                std::vector<int32_t>* non_finite = nullptr) {
  DeviceBuffer<float> d_logits(logits);
  return gpu_sample_at(d_logits.data(), ld, n_rows, vocab, p, nullptr, non_finite);
}

// The logits GEMV C (m, n) = A · B^T (f32) with c_argmax, then cuda_sample greedy with and without
// the keys it left. A's values are positive and B rows 500 and n - 3 all ones, so those two
// columns tie at every row's max (the lower wins); column 10 is NaN (never chosen) and, with
// nan_row, row 1 of A holds a NaN (a row of NaN logits: id 0).
void check_logits_argmax(int m, int64_t n, int64_t k, bool nan_row) {
  CAPTURE(m, n, k, nan_row);
  std::vector<float> a = test::random_bf16(m * k, 41, 0.0f, 1.0f);
  std::vector<float> b = test::random_bf16(n * k, 42, -1.0f, 1.0f);
  std::fill(b.begin() + 500 * k, b.begin() + 501 * k, 1.0f);
  std::fill(b.begin() + (n - 3) * k, b.begin() + (n - 2) * k, 1.0f);
  b[10 * k + 3] = NAN;
  if (nan_row && m > 1) a[k + 5] = NAN;
  TestStream st;
  DeviceBuffer<bf16_bits> d_a(bf16_from_f32(a)), d_b(bf16_from_f32(b));
  DeviceBuffer<float> d_c(m * n);
  DeviceBuffer<uint64_t> d_keys(std::vector<uint64_t>(m, 0));
  GemmArgs g = gemm_args_dense(m, n, k, d_a.data(), d_b.data(), d_c.data(), GemmAlgo::skinny);
  g.c_f32 = true;
  g.c_argmax = d_keys.data();
  const SampleHostParams greedy{std::vector<float>(m, 0.0f), std::vector<float>(m, 1.0f),
                                std::vector<int32_t>(m, 0), std::vector<uint64_t>(m, 1),
                                std::vector<uint64_t>(m, 0)};
  for (int pass = 0; pass < 2; ++pass) {  // the sampler's reset serves the next GEMV
    CAPTURE(pass);
    cuda_gemm_skinny(g, st.s);
    st.sync();
    const std::vector<float> logits = d_c.download();
    const std::vector<int32_t> want = ref_sample(logits, n, m, static_cast<int>(n), greedy);
    const std::vector<uint64_t> keys = d_keys.download();
    for (int r = 0; r < m; ++r) {
      CAPTURE(r);
      CHECK(sample_argmax_id(keys[r]) == want[r]);
      CHECK(want[r] == (nan_row && r == 1 ? 0 : 500));
    }
    if (pass == 0) {
      // Flags from the keys: only the row of NaN (column 10's NaN beside finite values needs the
      // pass the keys save, and ranks below them).
      std::vector<int32_t> flags;
      CHECK(gpu_sample_at(d_c.data(), n, m, static_cast<int>(n), greedy, d_keys.data(), &flags) ==
            want);
      for (int r = 0; r < m; ++r) CHECK(flags[r] == (nan_row && r == 1 ? 1 : 0));
    } else {  // a sampled row beside greedy ones draws as without keys, and its key resets too
      SampleHostParams mixed = greedy;
      mixed.temperature[0] = 0.8f;
      mixed.top_k[0] = 50;
      const std::vector<int32_t> got =
          gpu_sample_at(d_c.data(), n, m, static_cast<int>(n), mixed, d_keys.data());
      CHECK(got == gpu_sample_at(d_c.data(), n, m, static_cast<int>(n), mixed));
    }
    CHECK(d_keys.download() == std::vector<uint64_t>(m, 0));
  }
}

// Logits with margins, (n_rows, ld): a tail of distinct values in [-60, -50) (mass < 1e-10 of the
// row's) and up to 24 candidates in [-4, 4), so the f32 GPU sums and the double reference agree
// on every threshold and draw unless one lands within ~1e-6 of a boundary (these seeds do not).
// Rows 0, 5, ... tie two ids at the max, rows 1, 6, ... two candidates in the middle.
std::vector<float> margin_logits(int64_t n_rows, int64_t ld, int vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> tail(-60.0f, -50.0f), cand(-4.0f, 4.0f);
  std::vector<float> v(n_rows * ld);
  for (int64_t r = 0; r < n_rows; ++r) {
    float* row = v.data() + r * ld;
    for (int64_t i = 0; i < ld; ++i) row[i] = tail(rng);
    for (int c = 0; c < 24; ++c) row[rng() % vocab] = cand(rng);
    if (vocab >= 8 && r % 5 == 0) row[vocab - 1] = row[vocab / 2] = 9.0f;
    if (vocab >= 8 && r % 5 == 1) row[1] = row[vocab - 2] = 2.0f;
  }
  return v;
}

void check_sample_vocab(int vocab) {
  CAPTURE(vocab);
  const int64_t ld = vocab + 3;  // padded rows
  SampleHostParams p;
  for (float t : {0.0f, 0.7f, 1.5f}) {
    for (int32_t k : {0, 1, 50}) {
      for (float tp : {0.1f, 0.9f, 1.0f}) {
        for (uint64_t s = 0; s < 3; ++s) {
          p.temperature.push_back(t);
          p.top_k.push_back(k);
          p.top_p.push_back(tp);
          p.seed.push_back(1000 + s * 17 + p.seed.size());
          p.draw.push_back(s * 3);
        }
      }
    }
  }
  const int64_t n_rows = static_cast<int64_t>(p.seed.size());
  std::vector<float> logits = margin_logits(n_rows, ld, vocab, static_cast<uint32_t>(vocab));
  if (vocab >= 8) logits[ld + 2] = NAN;  // a NaN is never chosen
  const std::vector<int32_t> want = ref_sample(logits, ld, n_rows, vocab, p);
  const std::vector<int32_t> got = gpu_sample(logits, ld, n_rows, vocab, p);
  for (int64_t r = 0; r < n_rows; ++r) {
    CAPTURE(r, p.temperature[r], p.top_k[r], p.top_p[r]);
    REQUIRE(got[r] == want[r]);
  }
}
#endif

TEST_CASE("cuda_sample matches ref_sample id for id", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int vocab : {1, 7, 1000, 102400}) check_sample_vocab(vocab);
#endif
}

TEST_CASE("cuda_sample greedy rows are argmax with the lowest id on ties", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  const int vocab = 151936;
  std::vector<float> logits = test::random_bf16(4 * static_cast<int64_t>(vocab), 21);
  logits[123] = logits[77777] = logits[150000] = 50.0f;                  // row 0: 123
  std::fill(logits.begin() + vocab, logits.begin() + 2 * vocab, -1.0f);  // row 1: 0
  logits[2 * vocab + vocab - 1] = 3.0e38f;                               // row 2: last
  std::fill(logits.begin() + 3 * vocab, logits.end(), -INFINITY);        // row 3: 0
  const SampleHostParams p{{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 0, 0, 0}, {1, 2, 3, 4}, {0, 0, 0, 0}};
  CHECK(gpu_sample(logits, vocab, 4, vocab, p) == std::vector<int32_t>{123, 0, vocab - 1, 0});
#endif
}

// Rows: clean; one NaN among finite values; one +inf; every value NaN; every value -inf. Each
// greedy (the pass) and sampled (temperature 0.8, top-k 20, top-p 0.9). A row is flagged exactly
// when it holds a non-finite value, as the CPU engine's Sampler::saw_non_finite says.
TEST_CASE("cuda_sample flags rows whose logits hold NaN or an infinity", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  const int vocab = 102400;
  const int64_t kinds = 5, n_rows = 2 * kinds;
  std::vector<float> logits = margin_logits(n_rows, vocab, vocab, 7);
  for (int64_t half = 0; half < 2; ++half) {
    float* row = logits.data() + half * kinds * vocab;
    row[vocab + 4321] = NAN;
    row[2 * vocab + 99] = INFINITY;
    std::fill(row + 3 * vocab, row + 4 * vocab, NAN);
    std::fill(row + 4 * vocab, row + 5 * vocab, -INFINITY);
  }
  SampleHostParams p;
  for (int64_t r = 0; r < n_rows; ++r) {
    const bool sampled = r >= kinds;
    p.temperature.push_back(sampled ? 0.8f : 0.0f);
    p.top_k.push_back(sampled ? 20 : 0);
    p.top_p.push_back(sampled ? 0.9f : 1.0f);
    p.seed.push_back(5 + r);
    p.draw.push_back(0);
  }
  std::vector<int32_t> flags;
  const std::vector<int32_t> ids = gpu_sample(logits, vocab, n_rows, vocab, p, &flags);
  const std::vector<int32_t> want_ids = ref_sample(logits, vocab, n_rows, vocab, p);
  for (int64_t r = 0; r < n_rows; ++r) {
    CAPTURE(r);
    const float* row = logits.data() + r * vocab;
    const bool bad = std::any_of(row, row + vocab, [](float v) { return !std::isfinite(v); });
    CHECK(flags[r] == (bad ? 1 : 0));
    CHECK(ids[r] == want_ids[r]);
  }
  CHECK(std::count(flags.begin(), flags.end(), 1) == 8);
#endif
}

TEST_CASE("the skinny logits GEMV's c_argmax is the greedy id, and cuda_sample takes and resets it",
          "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int m : {1, 2, 3, 4}) check_logits_argmax(m, 102400, 256, m == 2);
  check_logits_argmax(3, 1007, 72, true);   // ragged n: warps past n still meet the block barrier
  check_logits_argmax(1, 4099, 61, false);  // k not a multiple of 8: the scalar loads
#endif
}

TEST_CASE("cuda_sample draws follow the warped distribution (chi-square over seeds)", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  // temperature 0.7, top-k 6 (ties with the 6th stay: 7 ids), top-p 0.95 over 10 ids.
  const std::vector<float> row = {0.5f, 2.0f, -1.0f, 1.0f, 1.0f, 3.0f, 0.0f, 2.5f, 0.25f, 0.5f};
  const int vocab = static_cast<int>(row.size()), n = 50000;
  const float temperature = 0.7f, top_p = 0.95f;
  const int32_t top_k = 6;
  // The warped distribution, HF style, in double: top-k by value, then sort ascending (stable by
  // id) and drop the prefix with cumulative mass <= 1 - top_p.
  std::vector<double> s(vocab), prob(vocab, 0.0);
  for (int i = 0; i < vocab; ++i) s[i] = static_cast<double>(row[i] / temperature);
  std::vector<double> sorted(s);
  std::sort(sorted.begin(), sorted.end(), std::greater<double>());
  double total = 0.0;
  for (int i = 0; i < vocab; ++i) {
    if (s[i] >= sorted[top_k - 1]) total += prob[i] = std::exp(s[i] - sorted[0]);
  }
  std::vector<int> order(vocab);
  for (int i = 0; i < vocab; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return s[a] < s[b]; });
  double cum = 0.0, kept = total;
  for (int j = 0; j + 1 < vocab; ++j) {
    cum += prob[order[j]] / total;
    if (cum > 1.0 - top_p) break;
    kept -= prob[order[j]];
    prob[order[j]] = 0.0;
  }
  std::vector<float> logits;
  SampleHostParams p;
  for (int i = 0; i < n; ++i) {
    logits.insert(logits.end(), row.begin(), row.end());
    p.temperature.push_back(temperature);
    p.top_p.push_back(top_p);
    p.top_k.push_back(top_k);
    p.seed.push_back(0x5eed0000ull + static_cast<uint64_t>(i));
    p.draw.push_back(static_cast<uint64_t>(i % 13));
  }
  const std::vector<int32_t> got = gpu_sample(logits, vocab, n, vocab, p);
  const std::vector<int32_t> want = ref_sample(logits, vocab, n, vocab, p);
  std::vector<int> counts(vocab, 0);
  int mismatches = 0;
  for (int i = 0; i < n; ++i) {
    REQUIRE(got[i] >= 0);
    REQUIRE(got[i] < vocab);
    ++counts[got[i]];
    mismatches += got[i] != want[i];
  }
  CHECK(mismatches <= n / 1000);  // only draws within f32 rounding of a boundary may differ
  double chi2 = 0.0;
  int df = -1;
  for (int i = 0; i < vocab; ++i) {
    CAPTURE(i, counts[i], prob[i]);
    if (prob[i] == 0.0) {
      CHECK(counts[i] == 0);  // warped away: never drawn
      continue;
    }
    const double e = n * prob[i] / kept;
    chi2 += (counts[i] - e) * (counts[i] - e) / e;
    ++df;
  }
  CAPTURE(chi2, df);
  CHECK(df >= 3);
  CHECK(chi2 < 35.0);  // df <= 9: p < 1e-4
#endif
}

TEST_CASE("cuda_logprob_gather matches the double log-softmax", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int vocab : {1, 1000, 102400, 151936}) {
    CAPTURE(vocab);
    const int64_t n_rows = 5, ld = vocab + 1;
    const std::vector<float> logits = test::random_bf16(n_rows * ld, 31, -20.0f, 20.0f);
    std::vector<int32_t> targets = {0, vocab - 1, vocab / 2, vocab / 3, vocab};  // last: bad
    const std::vector<double> want = ref_logprob_gather(logits, ld, n_rows, vocab, targets);
    TestStream st;
    DeviceBuffer<float> d_logits(logits), d_lp(n_rows);
    DeviceBuffer<int32_t> d_t(targets);
    cuda_logprob_gather(d_logits.data(), ld, n_rows, vocab, d_t.data(), d_lp.data(), st.s);
    st.sync();
    const std::vector<float> got = d_lp.download();
    const auto r =
        test::compare_close(got, std::vector<float>(want.begin(), want.end()), 2e-4, 1e-5);
    INFO(r.message);
    CHECK(r.ok);
  }
#endif
}

}  // namespace
}  // namespace moebench
