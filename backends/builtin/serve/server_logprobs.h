// The log-probabilities in `moebench serve`'s responses, from a choice's scored tokens
// (BuiltinModel::prompt_logprobs over prompt + generated tokens): legacy Completions' logprobs
// object {tokens, token_logprobs, top_logprobs, text_offset}, as lm-evaluation-harness'
// local-completions reads it, and Chat Completions' logprobs.content.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backends/builtin/builtin_model.h"

namespace moebench {

// One choice's tokens with the text each stands for: the prompt's, then the generated ones its
// text came from (a stop string may cut the last; an EOS adds none and is left out).
struct ChoiceTokens {
  std::vector<int> ids;  // prompt + kept generated tokens: the sequence scored
  size_t prompt_len = 0;
  // (ids) The text of each token as streaming decode gives it: a character split over tokens goes
  // with the token that completes it (those before get ""), so the prompt's texts join to the
  // echoed prompt and the rest to the choice's text.
  std::vector<std::string> texts;
  std::vector<std::string> bytes;  // (ids) the raw bytes each token adds (may split a character)

  std::string prompt_text() const;
};

ChoiceTokens serve_choice_tokens(const Tokenizer& tok, const std::vector<int>& prompt,
                                 const GenerateResult& result);

// Completions' logprobs: the prompt's tokens first when echoed (the first one's logprob and
// alternatives null), then the generated ones; top_logprobs maps the scored alternatives' and the
// chosen token's text to its log-probability; text_offset counts code points from the prompt's
// start.
nlohmann::json serve_completion_logprobs(const Tokenizer& tok, const ChoiceTokens& t,
                                         const TokenLogprobs& lp, bool echo);

// Chat's logprobs: {content: [{token, logprob, bytes, top_logprobs: [the scored alternatives]}]}
// over the generated tokens.
nlohmann::json serve_chat_logprobs(const Tokenizer& tok, const ChoiceTokens& t,
                                   const TokenLogprobs& lp);

}  // namespace moebench
