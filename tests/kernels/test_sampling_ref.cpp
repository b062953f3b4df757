// CPU-only tests of ref_sample (greedy ties, the top-k / top-p kept sets with ties, the draw's
// frequencies) and ref_logprob_gather against hand computations; and the counter-based RNG.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "kernels/sampling.h"
#include "tests/catch.h"

namespace moebench {
namespace {

// n draws (seeds 0..n-1, draw 7) of the same logits row; returns how often each id came out.
std::map<int32_t, int> draw_counts(const std::vector<float>& row, float temperature, float top_p,
                                   int32_t top_k, int n) {
  const int vocab = static_cast<int>(row.size());
  std::vector<float> logits;
  SampleHostParams p;
  for (int i = 0; i < n; ++i) {
    logits.insert(logits.end(), row.begin(), row.end());
    p.temperature.push_back(temperature);
    p.top_p.push_back(top_p);
    p.top_k.push_back(top_k);
    p.seed.push_back(static_cast<uint64_t>(i));
    p.draw.push_back(7);
  }
  std::map<int32_t, int> counts;
  for (int32_t id : ref_sample(logits, vocab, n, vocab, p)) ++counts[id];
  return counts;
}

std::set<int32_t> ids_of(const std::map<int32_t, int>& counts) {
  std::set<int32_t> s;
  for (const auto& [id, n] : counts) s.insert(id);
  return s;
}

TEST_CASE("sample_uniform is reproducible per (seed, draw) and lies in 0 <= u < 1", "[kernels]") {
  CHECK(sample_uniform(42, 3) == sample_uniform(42, 3));
  CHECK(sample_uniform(42, 3) != sample_uniform(42, 4));
  CHECK(sample_uniform(42, 3) != sample_uniform(43, 3));
  double mean = 0.0;
  for (uint64_t d = 0; d < 10000; ++d) {
    const float u = sample_uniform(1, d);
    REQUIRE(u >= 0.0f);
    REQUIRE(u < 1.0f);
    mean += u / 10000.0;
  }
  CHECK(std::abs(mean - 0.5) < 0.01);
  CHECK(sample_order_key(-1.0f) < sample_order_key(-0.5f));
  CHECK(sample_order_key(-0.0f) == sample_order_key(0.0f));
  CHECK(sample_order_key(2.0f) < sample_order_key(INFINITY));
  CHECK(sample_order_key(NAN) == 0u);
  CHECK(sample_key_value(sample_order_key(-3.25f)) == -3.25f);
}

TEST_CASE("ref_sample greedy is argmax with the lowest id on ties, NaN ignored", "[kernels]") {
  SampleHostParams p{{0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}, {0, 0, 0}, {1, 1, 1}, {0, 0, 0}};
  const std::vector<float> logits = {1,   3,   3,   2,     // tie: 1
                                     NAN, -1,  NAN, -1,    // NaN skipped: 1
                                     NAN, NAN, NAN, NAN};  // none: 0
  CHECK(ref_sample(logits, 4, 3, 4, p) == std::vector<int32_t>{1, 1, 0});
  SampleHostParams one{{0.7f}, {0.5f}, {3}, {9}, {0}};
  CHECK(ref_sample({5.0f}, 1, 1, 1, one) == std::vector<int32_t>{0});
}

TEST_CASE("the largest sample_argmax_key of a row, in any order, is the greedy id", "[kernels]") {
  CHECK(sample_argmax_key(1.0f, 5) > sample_argmax_key(1.0f, 6));  // ties: the lower id
  CHECK(sample_argmax_key(-0.0f, 3) == sample_argmax_key(0.0f, 3));
  CHECK(sample_argmax_key(-INFINITY, 9) > sample_argmax_key(NAN, 0));  // NaN below everything
  CHECK(sample_argmax_id(sample_argmax_key(2.5f, 102399)) == 102399);
  CHECK(sample_argmax_id(0) == 0);  // no key maxed in: id 0, never -1
  std::mt19937 rng(5);
  const std::vector<float> specials = {NAN, -INFINITY, INFINITY, -0.0f, 0.0f, 1.0f, -1.0f};
  for (int trial = 0; trial < 400; ++trial) {
    const int vocab = 1 + static_cast<int>(rng() % 300);
    std::vector<float> row(vocab);
    // Few distinct values (ties are common), some specials, and now and then all NaN.
    for (float& v : row) {
      v = rng() % 4 == 0 ? specials[rng() % specials.size()]
                         : static_cast<float>(static_cast<int>(rng() % 7) - 3);
    }
    if (trial % 50 == 0) std::fill(row.begin(), row.end(), NAN);
    std::vector<uint32_t> order(vocab);
    for (int i = 0; i < vocab; ++i) order[i] = static_cast<uint32_t>(i);
    std::shuffle(order.begin(), order.end(), rng);
    uint64_t best = 0;
    for (uint32_t i : order) best = std::max(best, sample_argmax_key(row[i], i));
    const SampleHostParams greedy{{0.0f}, {1.0f}, {0}, {1}, {0}};
    CAPTURE(trial, vocab);
    REQUIRE(sample_argmax_id(best) == ref_sample(row, vocab, 1, vocab, greedy)[0]);
    // Finite exactly when the largest non-NaN value is: not when every value is NaN or the
    // largest is +inf, nor when every non-NaN value is -inf.
    float top = -INFINITY;
    bool any = false;
    for (float v : row) {
      if (std::isnan(v)) continue;
      any = true;
      top = std::max(top, v);
    }
    REQUIRE(sample_argmax_key_finite(best) == (any && std::isfinite(top)));
  }
}

TEST_CASE("ref_sample top-k keeps ties with the k-th", "[kernels]") {
  CHECK(ids_of(draw_counts({3, 2, 2, 1}, 1.0f, 1.0f, 2, 2000)) == std::set<int32_t>{0, 1, 2});
  CHECK(ids_of(draw_counts({3, 2, 2, 1}, 1.0f, 1.0f, 1, 200)) == std::set<int32_t>{0});
  CHECK(ids_of(draw_counts({0, 5, 5, 1}, 1.0f, 1.0f, 1, 200)) == std::set<int32_t>{1, 2});
}

TEST_CASE("ref_sample top-p drops the low prefix like HF, ties by id, keeping the max",
          "[kernels]") {
  // probs of {0, 1, 2, 3}: .032 .087 .237 .644; ascending cumsum .032 .119 .356 1.
  CHECK(ids_of(draw_counts({0, 1, 2, 3}, 1.0f, 0.5f, 0, 500)) == std::set<int32_t>{3});
  CHECK(ids_of(draw_counts({0, 1, 2, 3}, 1.0f, 0.7f, 0, 2000)) == std::set<int32_t>{2, 3});
  CHECK(ids_of(draw_counts({0, 1, 2, 3}, 1.0f, 0.9f, 0, 2000)) == std::set<int32_t>{1, 2, 3});
  // Four equal probs: cumsum .25 .5 .75 1 in id order.
  CHECK(ids_of(draw_counts({1, 1, 1, 1}, 1.0f, 0.5f, 0, 2000)) == std::set<int32_t>{2, 3});
  CHECK(ids_of(draw_counts({1, 1, 1, 1}, 1.0f, 0.6f, 0, 2000)) == std::set<int32_t>{1, 2, 3});
  CHECK(ids_of(draw_counts({1, 1, 1, 1}, 1.0f, 0.01f, 0, 500)) == std::set<int32_t>{3});
  // top-k first, then top-p over the survivors: {3, 2} renormalized: .269 .731, cumsum .269 1.
  CHECK(ids_of(draw_counts({0, 1, 2, 3}, 1.0f, 0.8f, 2, 2000)) == std::set<int32_t>{2, 3});
  CHECK(ids_of(draw_counts({0, 1, 2, 3}, 1.0f, 0.7f, 2, 500)) == std::set<int32_t>{3});
}

TEST_CASE("ref_sample draws match the warped distribution", "[kernels]") {
  const std::vector<float> row = {0.0f, 1.0f, 2.0f, 3.0f, -1.0f};
  const float temperature = 1.5f;
  const int n = 40000;
  const auto counts = draw_counts(row, temperature, 1.0f, 0, n);
  double z = 0.0;
  for (float v : row) z += std::exp(v / temperature);
  double chi2 = 0.0;
  for (int i = 0; i < 5; ++i) {
    const double want = n * std::exp(row[i] / temperature) / z;
    const auto it = counts.find(i);
    const double got = it == counts.end() ? 0.0 : it->second;
    chi2 += (got - want) * (got - want) / want;
  }
  CAPTURE(chi2);
  CHECK(chi2 < 25.0);  // df 4: p ~ 5e-5
}

TEST_CASE("ref_logprob_gather is the log-softmax entry", "[kernels]") {
  const std::vector<float> logits = {0.0f, std::log(3.0f), 5.0f, 5.0f};  // (2, 2)
  const std::vector<double> lp = ref_logprob_gather(logits, 2, 2, 2, {1, 0});
  CHECK(std::abs(lp[0] - std::log(0.75)) < 1e-7);
  CHECK(std::abs(lp[1] - std::log(0.5)) < 1e-12);
  CHECK(std::isnan(ref_logprob_gather(logits, 2, 2, 2, {2, 0})[0]));
}

}  // namespace
}  // namespace moebench
