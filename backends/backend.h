// The backend interface: every model the harness evaluates (built-in engine, remote APIs, the
// oracle and replay validators) answers batches of Requests with Responses through this.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "backends/error_type.h"
#include "common/token_counts.h"
#include "tasks/suite.h"

namespace moebench {

struct Request {
  std::string suite;
  std::string doc_id;
  std::string prompt;                      // completion form
  std::vector<ChatMessage> messages;       // chat form
  std::vector<std::string> continuations;  // non-empty: score these (log-likelihood) instead
  GenerationSettings generation;
  uint64_t seed = 0;
  // The evaluation profile the prompt was built under; "" = the default (lm-eval), left out of
  // the hash so caches written before profiles existed stay valid.
  std::string profile;
  // --repeats: which run of the document this is (0-based); its seed differs per repeat, so the
  // repeats are asked, and cached, apart. Not in the hash itself.
  int repeat = 0;
  // Samples an earlier run already has (its answer failed after these, and the cache kept them):
  // a backend whose BackendInfo::resumes_samples is set asks only for samples samples_done..n-1.
  // Not in the hash.
  int samples_done = 0;

  // SHA-256 over everything that can change the answer (not suite/doc id): the cache key.
  std::string hash() const;
  nlohmann::json to_json() const;
};

// An error at the backend boundary becomes data on the sample (STYLE habit 8).
struct ResponseError {
  ErrorType type = ErrorType::backend;
  std::string message;
};

struct Response {
  std::vector<std::string> texts;      // one per sample (generation.n_samples)
  std::vector<std::string> reasoning;  // per sample when the model returns its reasoning apart
  std::vector<double> logliks;         // one per continuation (summed log-probability)
  // Per sample, why the API said the answer ended: "stop", "length" (cut at max_tokens),
  // "content_filter" (withheld), or the provider's own word; "" = not said. Empty for backends
  // that tell none.
  std::vector<std::string> finish_reasons;
  TokenCounts tokens;
  // The tokens a recording says the answer took (the replay backend's, for a rescore): not this
  // run's, so never billed nor in run.json's tokens; its sample keeps them, and run.json's
  // thinking.reasoning_tokens counts their reasoning as the recorded run did.
  std::optional<TokenCounts> recorded_tokens;
  double ttft_s = 0;          // request sent -> first streamed chunk with text (0: not streamed)
  double total_s = 0;         // request sent -> response complete (the attempt that succeeded)
  double thinking_s = 0;      // request sent -> the thinking closed (0: no thinking, or unknown)
  std::vector<double> itl_s;  // gaps between successive streamed chunks with text
  // Of tokens.reasoning, those the API counted and never sent (OpenAI's o1/o3 think before the
  // first chunk and stream none of it): no streamed chunk follows them, so TPOT leaves them out.
  long hidden_reasoning = 0;
  int retries = 0;  // attempts before the one that answered (or the last one)
  // Prompt tokens dropped from the start to fit the model's context (left truncation, as
  // lm-eval does); 0 when the whole prompt was read.
  long truncated_prompt_tokens = 0;
  // The API reported no token usage: `tokens` is the client's count (a streamed chunk as one
  // output token, no prompt), so their cost is unknown.
  bool usage_missing = false;
  // API attempts that failed after their HTTP 200, retried or final: billed, answering nothing.
  // Counted by the run that sent them, apart from `tokens`; never cached.
  FailedAttempts failed_attempts;
  // Of `tokens`, those this run's attempts were billed, by the price table each was sent under
  // (empty for backends without dated price tables: BackendInfo::prices prices them). Never cached.
  TokensByPrice tokens_by_price;
  std::optional<ResponseError> error;
  // Set only on what a backend tells its ResponseSink before a request's response is final: the
  // samples so far of a request asked in separate calls, as a partial answer (error interrupted,
  // "not all asked yet"). Not serialized: the cache keeps it as the partial answer it is.
  bool in_progress = false;

  // An answer that failed after some of its samples arrived (n samples asked in separate calls):
  // those samples are paid for, so the cache keeps them and the next run asks for the rest.
  bool partial() const { return error && !texts.empty() && logliks.empty(); }

  nlohmann::json to_json() const;
  static Response from_json(const nlohmann::json& j);
};

// `earlier` (a partial answer) followed by `later`, the answer to the same request's remaining
// samples: texts, reasoning and tokens joined; error, timings and retries are the later call's.
Response response_append_samples(Response earlier, const Response& later);

struct BackendInfo {
  std::string id;      // the cache key's backend part, e.g. "oracle", "builtin:/path", "api:model"
  std::string family;  // "validation" | "builtin" | "openai" | "anthropic" | ...
  bool chat = false;
  // Why chat is false, where the backend can say (a builtin checkpoint without a chat_template):
  // the error of a suite whose profile sends chat messages names it. "" = not said.
  std::string no_chat_reason;
  bool completion = true;
  bool loglikelihood = false;  // can score continuations
  bool streaming = false;
  // Answers Request::samples_done (asks only for the samples a partial answer lacks).
  bool resumes_samples = false;
  nlohmann::json prices = nlohmann::json::object();  // $ per 1M tokens, with their date
  // Every dated table the backend may bill at, as `prices` is written, keyed by effective_from
  // (Response::tokens_by_price's keys); not in run.json's backend record.
  nlohmann::json price_tables = nlohmann::json::object();
  nlohmann::json details = nlohmann::json::object();
  // Whatever changes answers without being in the Request (an API model's endpoint, its
  // generation overrides): the cache keys responses by id + tag, so a change misses the cache.
  std::string cache_tag;
  // The model as published score tables name it (models file `published_as`, or run
  // --published-as); "" = none. Reports compare such runs with the published numbers.
  std::string published_as;

  std::string cache_key() const { return cache_tag.empty() ? id : id + "#" + cache_tag; }
  nlohmann::json to_json() const;
};

// Told of each request of a batch the moment its response is final: (index in the batch, the
// response). May be called from a thread of the backend's; the runner commits the response to the
// cache and counts it there, so a long call loses nothing when the process dies. A backend asking
// a request's samples in separate calls may also tell, before the final response, of the samples
// so far (Response::in_progress, a partial answer): the runner commits those to the cache only,
// so a killed run keeps them and the next asks for the rest.
using ResponseSink = std::function<void(size_t index, const Response& response)>;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendInfo info() const = 0;
  // Answers every request of the batch, in order. Per-request failures go into Response::error;
  // throwing is reserved for the backend being unusable as a whole.
  virtual std::vector<Response> run(const std::vector<Request>& batch) = 0;
  // run(), telling `on_done` of each response as soon as it is final (each index exactly once,
  // before this returns; its samples so far any number of times before that). The default tells of
  // them all when run() returns; backends whose calls take long (the built-in engine, a slowed
  // oracle) override it.
  virtual std::vector<Response> run_streaming(const std::vector<Request>& batch,
                                              const ResponseSink& on_done);
  // Largest batch run() wants; the runner also sends up to `concurrency` batches at once.
  virtual int max_batch() const { return 64; }
  // The text the model would read for `r` (a chat template applied), for --dry-run; "" when the
  // backend does not render prompts itself (an API model's server applies its template).
  virtual std::string render(const Request& r) const {
    (void)r;
    return "";
  }
  virtual int concurrency() const { return 1; }
};

}  // namespace moebench
