// Token counts of a request, a suite or a run: what a backend reports per response and what
// run.json, samples.jsonl and the reports add up. One type from the backend to the report.
#pragma once

namespace moebench {

struct TokenCounts {
  long prompt = 0;
  long cached_prompt = 0;  // of prompt, served from the provider's prompt cache
  long completion = 0;
  long reasoning = 0;  // of completion, spent thinking
  long total() const { return prompt + completion; }
  TokenCounts& operator+=(const TokenCounts& o) {
    prompt += o.prompt;
    cached_prompt += o.cached_prompt;
    completion += o.completion;
    reasoning += o.reasoning;
    return *this;
  }
  TokenCounts& operator-=(const TokenCounts& o) {
    prompt -= o.prompt;
    cached_prompt -= o.cached_prompt;
    completion -= o.completion;
    reasoning -= o.reasoning;
    return *this;
  }
};

}  // namespace moebench
