// What the loopback server's route files share: the parsed-request helpers, the generated output,
// the Reply a route builds (JSON body or SSE events plus usage) and how a Reply is sent, normally
// or with a fault applied.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/loopback/server/answers.h"
#include "tests/loopback/server/ledger.h"
#include "tests/loopback/server/loopback_server.h"

namespace moebench::loopback {

using json = nlohmann::json;

enum class Flavor { kOpenAI, kAnthropic };

// A client error: HTTP 400 naming the field.
struct BadRequest {
  std::string message;
  std::string param;
};

// Sleeps that stop() interrupts.
class StopFlag {
 public:
  // False when stopping (now or during the wait).
  bool sleep_ms(int ms);
  void set();
  void clear();
  bool stopping() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

// What a route answers before any fault is applied.
struct Reply {
  bool stream = false;
  std::string body;                 // non-stream: the JSON body
  std::vector<std::string> events;  // stream: SSE events; the last is the terminator
  Usage usage;
  bool usage_in_stream = false;  // stream: an event before the terminator carries `usage`
  std::vector<std::vector<std::string>> prompts;  // flattened prompts, for the prefix cache
};

struct RouteContext {
  const ServerOptions& options;
  const Answers& answers;
  const PrefixCache& cache;
  std::string id;  // response id suffix
};

// The answer cut at the first stop sequence and at max_tokens pieces.
struct Generation {
  std::vector<std::string> pieces;
  std::vector<std::string> reasoning;  // reasoning / thinking pieces, before the content
  bool length = false;                 // cut at max_tokens
  bool stopped = false;                // cut at a stop sequence
  std::string stop_sequence;
};
Generation route_generate(const std::string& answer, const std::vector<std::string>& stops,
                          int max_tokens, const std::string& reasoning);
std::string route_join(const std::vector<std::string>& pieces);

// A chat prompt: role/content pairs (system first for Anthropic).
struct ChatPrompt {
  json messages = json::array();  // [{role, content}] as in a samples.jsonl
  int tokens = 3;                 // sum(pieces(content) + 3) + 3
  std::vector<std::string> flat;  // per message a role marker piece, then the content pieces
  void add(const std::string& role, const std::string& content);
};
// Content as a string or an array of {type: text, text} parts; `field` names it in errors.
std::string route_text_content(const json& content, const std::string& field);
std::vector<std::string> route_parse_stops(const json& body, const char* field);
int route_get_int(const json& body, const char* field, int fallback, int min_value);
void route_check_number(const json& body, const char* field);
std::string route_model(const json& body);
std::string route_reasoning_text(int pieces);

Reply openai_chat(const RouteContext& ctx, const json& body);
Reply openai_completions(const RouteContext& ctx, const json& body);
json openai_models();
Reply anthropic_messages(const RouteContext& ctx, const json& body);

std::string sse_data(const json& j);
std::string sse_event(const std::string& name, const json& j);
// The error body of the flavour for `status`; `param` may be "".
std::string route_error_body(Flavor flavor, int status, const std::string& message,
                             const std::string& param, const std::string& code = "");
void route_send_error(Flavor flavor, int status, const std::string& message,
                      const std::string& param, httplib::Response& res);

// Sends a reply normally (chunk_ms between streamed events); `undelivered` runs (once) when the
// client is gone before the whole reply was written. `settle_ms` waits between the headers and
// the body so a client that closed its end is seen as gone (its reset has arrived).
void reply_send(Reply reply, int chunk_ms, int settle_ms, StopFlag& stop,
                std::function<void()> undelivered, httplib::Response& res);
// Sends what the fault `kind` makes of the reply (every kind but 'slow').
void reply_send_fault(const std::string& kind, Flavor flavor, Reply reply,
                      const FaultOptions& faults, int chunk_ms, StopFlag& stop,
                      httplib::Response& res);

}  // namespace moebench::loopback
