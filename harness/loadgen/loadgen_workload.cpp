// Arrival schedule and random prompts of `moebench loadgen`.
#include "harness/loadgen/loadgen_workload.h"

#include <cmath>
#include <random>
#include <unordered_set>

#include "common/error.h"

namespace moebench {

namespace {

// NOTE: mt19937_64's output is fixed by the standard, unlike std::exponential_distribution's, so
// the schedule and prompts are the same with any standard library.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1p-53; }

// A standard normal deviate (Box-Muller, one of the pair).
double normal01(std::mt19937_64& rng) {
  const double u = 1.0 - uniform01(rng);  // (0, 1]
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * uniform01(rng));
}

// A Gamma(shape, 1) deviate: Marsaglia and Tsang's method (ACM TOMS 26(3), 2000), and for a shape
// below 1 Gamma(shape + 1) * U^(1/shape).
double gamma_unit(std::mt19937_64& rng, double shape) {
  if (shape < 1.0) {
    const double u = 1.0 - uniform01(rng);
    return gamma_unit(rng, shape + 1.0) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = normal01(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform01(rng);
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0.0 && std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

int uniform_int(std::mt19937_64& rng, int lo, int hi) {
  return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

// Common short English words: one BPE token each with the leading space, so a prompt of N words
// is close to N tokens.
constexpr const char* kWords[] = {
    "the",    "of",    "and",    "to",    "in",    "is",    "was",  "for",  "that",  "with",
    "as",     "on",    "by",     "at",    "from",  "his",   "her",  "it",   "an",    "are",
    "were",   "which", "this",   "be",    "or",    "has",   "had",  "one",  "first", "new",
    "after",  "who",   "two",    "their", "also",  "time",  "year", "city", "world", "water",
    "name",   "house", "school", "land",  "war",   "state", "day",  "life", "part",  "work",
    "number", "music", "team",   "game",  "small", "large", "old",  "high", "long",  "south",
    "north",  "river", "book",   "light"};
constexpr int kNumWords = static_cast<int>(sizeof kWords / sizeof kWords[0]);

int spread_len(std::mt19937_64& rng, int len, double spread) {
  const int lo = std::max(1, static_cast<int>(std::lround(len * (1.0 - spread))));
  const int hi = std::max(lo, static_cast<int>(std::lround(len * (1.0 + spread))));
  return uniform_int(rng, lo, hi);
}

LoadgenPrompt random_prompt(std::mt19937_64& rng, const RandomPromptSpec& spec) {
  LoadgenPrompt p;
  const int words = spread_len(rng, spec.input_len, spec.spread);
  p.max_tokens = spread_len(rng, spec.output_len, spec.spread);
  for (int w = 0; w < words; ++w) {
    if (w) p.text += ' ';
    p.text += kWords[uniform_int(rng, 0, kNumWords - 1)];
  }
  return p;
}

void check_spec(const RandomPromptSpec& spec) {
  if (spec.input_len < 1) throw InputError("--input-len must be at least 1");
  if (spec.output_len < 1) throw InputError("--output-len must be at least 1");
  if (!(spec.spread >= 0 && spec.spread < 1)) throw InputError("--len-spread must be in [0, 1)");
}

}  // namespace

std::vector<double> loadgen_arrival_times(int n, double rate, uint64_t seed, double burstiness) {
  if (!(rate > 0)) throw InputError("--request-rate must be positive (or inf)");
  if (!(burstiness > 0) || std::isinf(burstiness))
    throw InputError("--burstiness must be positive (1: Poisson arrivals)");
  std::vector<double> at(static_cast<size_t>(std::max(n, 0)), 0.0);
  if (std::isinf(rate)) return at;
  std::mt19937_64 rng(seed);
  for (int i = 1; i < n; ++i) {
    // Shape 1 is Exp(rate), drawn by its inverse CDF: the schedule of runs before --burstiness.
    const double gap = burstiness == 1.0 ? -std::log1p(-uniform01(rng)) / rate
                                         : gamma_unit(rng, burstiness) / (burstiness * rate);
    at[i] = at[i - 1] + gap;
  }
  return at;
}

std::vector<LoadgenPrompt> loadgen_random_prompts(int n, const RandomPromptSpec& spec,
                                                  uint64_t seed) {
  check_spec(spec);
  // A stream of its own, so the prompts do not change with the request rate.
  std::mt19937_64 rng(seed ^ 0x5eed'9e37'79b9'7f4aull);
  std::vector<LoadgenPrompt> out;
  for (int i = 0; i < n; ++i) out.push_back(random_prompt(rng, spec));
  return out;
}

std::string loadgen_prompt_key(const LoadgenPrompt& p) {
  std::string key = p.text;
  for (const ChatMessage& m : p.messages) key += '\0' + m.role + '\0' + m.content;
  return key;
}

int loadgen_distinct_prompts(const std::vector<LoadgenPrompt>& prompts) {
  std::unordered_set<std::string> keys;
  for (const LoadgenPrompt& p : prompts) keys.insert(loadgen_prompt_key(p));
  return static_cast<int>(keys.size());
}

std::vector<LoadgenPrompt> loadgen_warmup_prompts(int n, const std::vector<LoadgenPrompt>& spare,
                                                  const RandomPromptSpec& spec, uint64_t seed,
                                                  const std::vector<LoadgenPrompt>& measured,
                                                  int* random_used) {
  std::unordered_set<std::string> taken;
  for (const LoadgenPrompt& p : measured) taken.insert(loadgen_prompt_key(p));
  std::vector<LoadgenPrompt> out;
  for (const LoadgenPrompt& p : spare) {
    if (static_cast<int>(out.size()) < n && !taken.count(loadgen_prompt_key(p))) out.push_back(p);
  }
  const int from_spare = static_cast<int>(out.size());
  if (random_used) *random_used = n - from_spare;
  if (from_spare == n) return out;
  check_spec(spec);
  // NOTE: another stream than the measured prompts'; a draw that is a measured prompt (short
  // prompts of 64 words repeat) is skipped, within a bound so that too few variants fail.
  std::mt19937_64 rng(seed ^ 0x3a12'c0de'5eed'b00full);
  const long tries = 64L * n + 4096;
  for (long t = 0; t < tries && static_cast<int>(out.size()) < n; ++t) {
    LoadgenPrompt p = random_prompt(rng, spec);
    if (!taken.count(loadgen_prompt_key(p))) out.push_back(std::move(p));
  }
  if (static_cast<int>(out.size()) < n) {
    throw InputError("--warmup " + std::to_string(n) + ": found only " +
                     std::to_string(out.size()) +
                     " warm-up prompts unlike every measured one "
                     "(random prompts of --input-len " +
                     std::to_string(spec.input_len) +
                     " have few variants); use longer prompts or fewer warm-up requests");
  }
  return out;
}

}  // namespace moebench
