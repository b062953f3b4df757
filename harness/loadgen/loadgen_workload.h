// The workload of `moebench loadgen`, fixed up front from the seed: the Poisson arrival schedule
// and the prompts (random word prompts, or prompts taken from a suite by the CLI).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tasks/suite.h"

namespace moebench {

// One request's input: `text` is the completion prompt, and the chat user message unless
// `messages` (a suite's chat form, few-shot turns included) is given.
struct LoadgenPrompt {
  std::string text;
  std::vector<ChatMessage> messages;
  int max_tokens = 0;  // also the output length asked for (ignore_eos where the server takes it)
};

// Send times in seconds from the start, for n requests at `rate` requests/s, the first at 0,
// drawn from mt19937_64(seed): gaps from a gamma distribution of shape `burstiness` and mean
// 1/rate, as vLLM's --burstiness (1: exponential gaps, a Poisson process; below 1 burstier, above
// more even). rate = inf: all at 0.
std::vector<double> loadgen_arrival_times(int n, double rate, uint64_t seed,
                                          double burstiness = 1.0);

struct RandomPromptSpec {
  int input_len = 128;   // words; each is about one token for a BPE tokenizer
  int output_len = 64;   // max_tokens
  double spread = 0.25;  // lengths uniform in [len*(1-spread), len*(1+spread)]
};
// n prompts of random common words; the same seed gives the same prompts.
std::vector<LoadgenPrompt> loadgen_random_prompts(int n, const RandomPromptSpec& spec,
                                                  uint64_t seed);

// What a prompt sends (its text and chat turns), equal for two prompts that send the same (a
// server's prefix cache answers a repeat without its prefill); how many distinct prompts a list
// holds.
std::string loadgen_prompt_key(const LoadgenPrompt& p);
int loadgen_distinct_prompts(const std::vector<LoadgenPrompt>& prompts);

// n warm-up prompts, none of them one of `measured`: a server with automatic prefix caching (vLLM
// V1's default) would keep a warm-up's prompt and answer the measured request that repeats it
// without its prefill. First the `spare` prompts not measured (a suite's documents left out of the
// run), then random prompts of `spec` from a stream of their own; *random_used says how many.
// InputError when random prompts of `spec` have too few variants left.
std::vector<LoadgenPrompt> loadgen_warmup_prompts(int n, const std::vector<LoadgenPrompt>& spare,
                                                  const RandomPromptSpec& spec, uint64_t seed,
                                                  const std::vector<LoadgenPrompt>& measured,
                                                  int* random_used = nullptr);

}  // namespace moebench
