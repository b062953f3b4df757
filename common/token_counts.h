// Token counts of a request, a suite or a run: what a backend reports per response and what
// run.json, samples.jsonl and the reports add up. One type from the backend to the report.
#pragma once

#include <map>
#include <string>

namespace moebench {

struct TokenCounts {
  long prompt = 0;
  long cached_prompt = 0;  // of prompt, served from the provider's prompt cache
  // Of prompt, written to the provider's prompt cache (Anthropic's cache_creation_input_tokens):
  // billed above the input price.
  long cache_write_prompt = 0;
  long completion = 0;
  long reasoning = 0;  // of completion, spent thinking
  // The API thought without counting it (Anthropic's usage has no thinking count): `reasoning`
  // is then a lower bound at best, and run.json and samples.jsonl write it null. Sums inherit it.
  bool reasoning_unknown = false;
  // Of prompt, cached_prompt and completion, those of calls sent in their price table's off-peak
  // window (DeepSeek's UTC 16:30-00:30 until 2025-09-05): billed at its off-peak prices.
  long off_peak_prompt = 0, off_peak_cached_prompt = 0, off_peak_completion = 0;
  long total() const { return prompt + completion; }
  // Every token counted as sent in the off-peak window.
  TokenCounts& all_off_peak() {
    off_peak_prompt = prompt;
    off_peak_cached_prompt = cached_prompt;
    off_peak_completion = completion;
    return *this;
  }
  TokenCounts& operator+=(const TokenCounts& o) {
    prompt += o.prompt;
    cached_prompt += o.cached_prompt;
    cache_write_prompt += o.cache_write_prompt;
    completion += o.completion;
    reasoning += o.reasoning;
    reasoning_unknown |= o.reasoning_unknown;
    off_peak_prompt += o.off_peak_prompt;
    off_peak_cached_prompt += o.off_peak_cached_prompt;
    off_peak_completion += o.off_peak_completion;
    return *this;
  }
  TokenCounts& operator-=(const TokenCounts& o) {
    prompt -= o.prompt;
    cached_prompt -= o.cached_prompt;
    cache_write_prompt -= o.cache_write_prompt;
    completion -= o.completion;
    reasoning -= o.reasoning;
    off_peak_prompt -= o.off_peak_prompt;
    off_peak_cached_prompt -= o.off_peak_cached_prompt;
    off_peak_completion -= o.off_peak_completion;
    return *this;
  }
};

// Tokens by the price table in effect when their attempts were sent, keyed by the table's
// effective_from ("" = no table was in effect: unpriced). A run crossing a price change bills
// each attempt at its own table.
using TokensByPrice = std::map<std::string, TokenCounts>;

inline TokensByPrice& operator+=(TokensByPrice& to, const TokensByPrice& from) {
  for (const auto& [table, tokens] : from) to[table] += tokens;
  return to;
}

// API attempts that failed after their HTTP 200 (a stream cut off, an error event mid-stream, a
// body cut short): the provider bills them, yet they answer nothing, so they are counted apart
// from the samples' tokens. `tokens` is what is known: the usage a stream reported, else its text
// chunks as output tokens (then the prompt is unknown: usage_missing).
struct FailedAttempts {
  long attempts = 0;
  long usage_missing = 0;  // of them, those whose stream reported no usage
  TokenCounts tokens;
  TokensByPrice by_price;  // `tokens` by the price table each attempt was sent under
  FailedAttempts& operator+=(const FailedAttempts& o) {
    attempts += o.attempts;
    usage_missing += o.usage_missing;
    tokens += o.tokens;
    by_price += o.by_price;
    return *this;
  }
};

}  // namespace moebench
