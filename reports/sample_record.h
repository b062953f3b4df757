// One line of samples.jsonl: the record harness/results writes (to_json) and reports read back
// (from_json), so the file has one definition of its fields.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/token_counts.h"

namespace moebench {

struct SampleRecord {
  std::string suite, doc_id, subject;
  std::string request_hash;
  nlohmann::json prompt;  // the raw prompt (a string), or chat messages [{role, content}, ...]
  std::vector<std::string> responses;
  std::vector<std::string> continuations;  // choice suites scored by log-likelihood
  std::vector<double> logliks;             // one per continuation (NaN when not a number)
  nlohmann::json filtered;                 // filter name -> extracted answers
  nlohmann::json gold;
  std::map<std::string, double> metrics;
  nlohmann::json details = nlohmann::json::object();  // metric -> detail
  std::string scored_by;                              // loglikelihood | generation
  // Tokens this run sent (all of them for an answer from the cache, `cached`). A partial answer
  // completed this run keeps the tokens of its samples from the cache apart, here: `tokens` plus
  // this is the whole answer's.
  TokenCounts tokens;
  std::optional<TokenCounts> tokens_cached_part;
  double latency_s = 0, ttft_s = 0;
  double thinking_s = 0;  // until the thinking closed (0: none or not measured)
  bool cached = false;
  std::string error_type, error_message;  // empty when the sample succeeded
  std::vector<std::string> reasoning;     // per response: returned apart, or inline <think> text
  bool truncated_thinking = false;        // the reasoning used up the tokens; no answer came
  // Per answer asked, why the API said it ended (Response::finish_reasons); empty when not told.
  std::vector<std::string> finish_reasons;
  std::optional<int> repeat;  // --repeats: which run of the document (0-based)
  int retries = 0;
  long truncated_prompt_tokens = 0;
  std::optional<double> tpot_s;
  std::vector<double> itl_s;
  std::optional<double> cost_usd;  // when the tokens were sent this run and priced
  bool usage_missing = false;      // the API reported no usage: the tokens are the client's count
  // The document's weight in the suite's mean, written for a suite with doc_weight (gaokao's
  // points) so merge reaggregates as the run did; absent otherwise.
  std::optional<double> weight;

  // The prompt as text: the raw prompt, or each message as a "[role]\ncontent" block.
  std::string prompt_text() const;
  nlohmann::json to_json() const;
  // InputError naming `where` (file:line) and the field for a value it cannot read.
  static SampleRecord from_json(const nlohmann::json& j, const std::string& where);
};

}  // namespace moebench
