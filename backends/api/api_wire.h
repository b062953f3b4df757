// The wire formats of the API backends: what a Request becomes on the wire (path and JSON body)
// and what a response, whole or streamed, becomes (texts, reasoning, log-likelihoods, tokens).
// One implementation per format: OpenAI (chat and completions, with the DeepSeek fields) and
// Anthropic Messages.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backends/backend.h"
#include "backends/models_file.h"

namespace moebench {

// What the model answered.
struct ApiReply {
  std::vector<std::string> texts;      // per choice, in index order
  std::vector<std::string> reasoning;  // per choice; empty when the model gave none apart
  std::vector<double> logliks;         // per continuation (scoring calls)
  // Per choice, why it ended as Response::finish_reasons names it ("" = not said).
  std::vector<std::string> finish_reasons;
  TokenCounts tokens;
  bool usage = false;              // tokens come from the server's usage report
  bool reasoning_counted = false;  // that report counted the reasoning tokens
};

// A response that does not follow its format, or an error the server reported inside a 200
// (an `error` event mid-stream). `type` and `status` classify it like an HTTP failure.
class ApiFormatError : public std::runtime_error {
 public:
  ApiFormatError(ErrorType type, const std::string& message, int status = 0)
      : std::runtime_error(message), type_(type), status_(status) {}
  ErrorType type() const { return type_; }
  int status() const { return status_; }

 private:
  ErrorType type_;
  int status_;
};

// One HTTP request on the wire.
struct ApiCall {
  std::string path;  // after the base URL's path, e.g. "/chat/completions"
  nlohmann::json body;
  bool stream = false;
  int n = 1;  // choices asked for
  // Scoring calls: per continuation, where it starts and ends in the prompt (code points).
  std::vector<std::pair<size_t, size_t>> spans;
};

// The events of one streamed response.
class ApiStream {
 public:
  virtual ~ApiStream() = default;
  // One `data:` payload. Returns true when it carried text or reasoning (the marks of TTFT and
  // of the inter-chunk latencies). Throws ApiFormatError.
  virtual bool on_event(const std::string& data) = 0;
  // After the last byte; throws ApiFormatError when the stream did not end as its format says.
  virtual ApiReply finish() = 0;
  // What the stream has told of its tokens so far, for an attempt that fails before its end: the
  // usage it reported (*usage = true), else its text chunks counted as output tokens.
  virtual TokenCounts tokens_seen(bool* usage) const = 0;
};

class ApiWire {
 public:
  virtual ~ApiWire() = default;
  // A generation call asking for n choices, the first of them sample `sample` of the request's
  // (its seed is the request's plus that index: separate calls for one document's samples must not
  // send one seed, or a seeded server answers them all alike).
  virtual ApiCall generate_call(const Request& r, int n, int sample = 0) const = 0;
  // A call scoring r.continuations after r.prompt; throws InputError when the format has none.
  virtual ApiCall loglik_call(const Request& r) const = 0;
  // Headers besides Content-Type: authentication (`key` may be empty), versions.
  virtual std::vector<std::pair<std::string, std::string>> headers(
      const std::string& key) const = 0;
  // A whole (non-streamed) response body; throws ApiFormatError.
  virtual ApiReply parse(const nlohmann::json& body, const ApiCall& call) const = 0;
  virtual std::unique_ptr<ApiStream> stream(const ApiCall& call) const = 0;
  // The human part of an error body ({"error": {"message"}} and the like), else the body's head.
  virtual std::string error_message(const std::string& body) const = 0;
};

// The format of the model's provider: "anthropic" gets Messages, every other one OpenAI's.
std::unique_ptr<ApiWire> api_wire_create(const ModelEntry& model);

// The settings sent: the model's generation overrides win over the request's.
int api_max_tokens(const ModelEntry& model, const Request& r);
double api_temperature(const ModelEntry& model, const Request& r);
double api_top_p(const ModelEntry& model, const Request& r);
// The text cut before the first of the request's stop strings in its answer, never inside inline
// thinking (common/thinking's rule, the one scoring splits by); applied on the client too, since
// providers cap how many stop sequences they accept and some models accept none.
std::string api_cut_at_stop(const std::string& text, const std::vector<std::string>& stops);
// Unicode code points in a UTF-8 string (OpenAI's text_offset unit).
size_t api_code_points(const std::string& s);
// The reasoning tokens a reply's usage counts and none of its text carries, apart or inline
// (OpenAI's o1/o3): Response::hidden_reasoning.
long api_hidden_reasoning(const ApiReply& reply);
// Marks the reply's reasoning count unknown (null) when it thought, apart or inline, and its usage
// counted no reasoning tokens: 0 would be a wrong count, as for Anthropic's usage.
void api_settle_reasoning(ApiReply* reply);

// Reading response JSON, for the formats: a member that is present and not null (else nullptr),
// a token count (0 when absent), and a string member appended to `out` (true when it added
// text; ApiFormatError when the member is not a string).
const nlohmann::json* api_field(const nlohmann::json& obj, const char* key);
long api_count(const nlohmann::json& obj, const char* key);
bool api_append(const nlohmann::json& obj, const char* key, std::string* out);

}  // namespace moebench
