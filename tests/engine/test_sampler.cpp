// Sampler: greedy and its tie rule, seed determinism, top-k / top-p limits, the temperature
// distribution over many seeded draws, and logprob_of.
#include <cmath>
#include <vector>

#include "backends/builtin/engine/sampler.h"
#include "kernels/sampling.h"
#include "tests/catch.h"

using moebench::Sampler;
using moebench::SamplingParams;

namespace {

std::vector<float> some_logits() { return {0.5f, 2.0f, -1.0f, 1.5f, 2.0f, 0.0f}; }

}  // namespace

TEST_CASE("greedy is argmax with the lowest id on ties", "[sampler]") {
  Sampler s(SamplingParams{});
  const auto l = some_logits();
  CHECK(s.sample(l.data(), 6) == 1);  // ids 1 and 4 tie at 2.0
}

TEST_CASE("same seed gives the same draws, another seed differs", "[sampler]") {
  const std::vector<float> l(50, 0.0f);  // uniform over 50 ids
  auto draws = [&](uint64_t seed) {
    Sampler s(SamplingParams{1.0, 1.0, 0, seed});
    std::vector<int> out;
    for (int i = 0; i < 40; ++i) out.push_back(s.sample(l.data(), 50));
    return out;
  };
  CHECK(draws(42) == draws(42));
  CHECK(draws(42) != draws(43));
}

TEST_CASE("top_k = 1 and a tiny top_p are greedy", "[sampler]") {
  const std::vector<float> l = {0.1f, 0.3f, 2.5f, 2.4f, -3.0f};
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Sampler k1(SamplingParams{1.5, 1.0, 1, seed});
    CHECK(k1.sample(l.data(), 5) == 2);
    Sampler p(SamplingParams{1.5, 1e-6, 0, seed});
    CHECK(p.sample(l.data(), 5) == 2);
  }
}

TEST_CASE("top_k and top_p keep exactly the expected tokens", "[sampler]") {
  // probs ∝ e^[3, 2, 1, 0] = 0.6439, 0.2369, 0.0871, 0.0321. top_p 0.85: ascending cumulative
  // 0.032, 0.119 <= 0.15 are dropped; {0, 1} remain.
  const std::vector<float> l = {3, 2, 1, 0};
  std::vector<int> seen(4, 0);
  Sampler p(SamplingParams{1.0, 0.85, 0, 1});
  for (int i = 0; i < 2000; ++i) ++seen[p.sample(l.data(), 4)];
  CHECK(seen[0] > 0);
  CHECK(seen[1] > 0);
  CHECK(seen[2] + seen[3] == 0);
  std::vector<int> seen_k(4, 0);
  Sampler k(SamplingParams{1.0, 1.0, 3, 1});
  for (int i = 0; i < 2000; ++i) ++seen_k[k.sample(l.data(), 4)];
  CHECK(seen_k[3] == 0);
  CHECK(seen_k[2] > 0);
}

TEST_CASE("temperature draws follow softmax(logits / T)", "[sampler]") {
  // T = 2: probs ∝ e^([2, 1, 0] / 2) = [0.5065, 0.3072, 0.1863]. 20000 draws: the standard
  // error of each frequency is < 0.0036; allow 0.015 (over 4 sigma).
  const std::vector<float> l = {2, 1, 0};
  const double z = std::exp(1.0) + std::exp(0.5) + 1.0;
  const double want[3] = {std::exp(1.0) / z, std::exp(0.5) / z, 1.0 / z};
  std::vector<int> n(3, 0);
  Sampler s(SamplingParams{2.0, 1.0, 0, 1234});
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) ++n[s.sample(l.data(), 3)];
  for (int i = 0; i < 3; ++i) {
    INFO("id " << i << ": " << 1.0 * n[i] / draws << " vs " << want[i]);
    CHECK(std::abs(1.0 * n[i] / draws - want[i]) < 0.015);
  }
}

// The CPU engine and the CUDA engine draw from one stream: a seeded request samples the same
// tokens on either device when their logits agree (the GPU kernel is tested against ref_sample).
TEST_CASE("the host sampler draws what the GPU sampler draws for a seed and draw index",
          "[sampler]") {
  std::vector<float> l(1000);
  for (size_t i = 0; i < l.size(); ++i) l[i] = static_cast<float>(std::sin(0.37 * i) * 3.0);
  const int vocab = static_cast<int>(l.size());
  for (const SamplingParams& p :
       {SamplingParams{1.0, 1.0, 0, 7}, SamplingParams{0.7, 0.9, 0, 8},
        SamplingParams{1.3, 1.0, 40, 9}, SamplingParams{0.9, 0.8, 50, 10}}) {
    Sampler s(p);
    for (uint64_t draw = 0; draw < 64; ++draw) {
      moebench::SampleHostParams gpu{{static_cast<float>(p.temperature)},
                                     {static_cast<float>(p.top_p)},
                                     {p.top_k},
                                     {p.seed},
                                     {draw}};
      INFO("T " << p.temperature << " top_p " << p.top_p << " top_k " << p.top_k << " draw "
                << draw);
      CHECK(s.sample(l.data(), vocab) == moebench::ref_sample(l, vocab, 1, vocab, gpu)[0]);
    }
  }
}

TEST_CASE("NaN and infinite logits sample like the GPU: NaN never, the lowest +inf id first",
          "[sampler]") {
  const float nan = std::nanf("");
  const float inf = INFINITY;
  const std::vector<float> nan_first = {nan, 1.0f, 2.0f};
  CHECK(Sampler(SamplingParams{}).sample(nan_first.data(), 3) == 2);
  const std::vector<float> mixed = {nan, 0.0f, 9.0f, nan};
  Sampler t1(SamplingParams{1.0, 1.0, 0, 5});
  for (int i = 0; i < 200; ++i) {
    const int id = t1.sample(mixed.data(), 4);
    CHECK((id == 1 || id == 2));
  }
  const std::vector<float> infs = {0.0f, inf, 1.0f, inf};
  Sampler t2(SamplingParams{1.0, 1.0, 0, 5});
  for (int i = 0; i < 20; ++i) CHECK(t2.sample(infs.data(), 4) == 1);
  CHECK_THROWS_AS(Sampler(SamplingParams{std::nan(""), 1.0, 0, 0}), std::invalid_argument);
}

TEST_CASE("logprob_of is a stable log-softmax", "[sampler]") {
  const std::vector<float> l = {1000.0f, 999.0f, 998.0f};  // naive exp would overflow
  const double lse = 1000.0 + std::log(1.0 + std::exp(-1.0) + std::exp(-2.0));
  CHECK(std::abs(moebench::logprob_of(l.data(), 3, 1) - (999.0 - lse)) < 1e-9);
  CHECK_THROWS(moebench::logprob_of(l.data(), 3, 3));
  CHECK_THROWS(Sampler(SamplingParams{-1.0, 1.0, 0, 0}));
}
