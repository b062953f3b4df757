// Request parsing helpers, generation and SSE/error formatting shared by the loopback routes.
#include <algorithm>

#include "tests/loopback/server/routes.h"
#include "tests/loopback/server/text_pieces.h"

namespace moebench::loopback {

bool StopFlag::sleep_ms(int ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (ms > 0) cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_; });
  return !stopping_;
}

void StopFlag::set() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void StopFlag::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = false;
}

bool StopFlag::stopping() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

Generation route_generate(const std::string& answer, const std::vector<std::string>& stops,
                          int max_tokens, const std::string& reasoning) {
  Generation g;
  size_t cut = answer.size();
  for (const auto& s : stops) {
    size_t at = s.empty() ? std::string::npos : answer.find(s);
    if (at != std::string::npos && at < cut) {
      cut = at;
      g.stopped = true;
      g.stop_sequence = s;
    }
  }
  g.pieces = text_split_pieces(std::string_view(answer).substr(0, cut));
  if (max_tokens >= 0 && static_cast<int>(g.pieces.size()) > max_tokens) {
    g.pieces.resize(max_tokens);
    g.length = true;
    g.stopped = false;
    g.stop_sequence.clear();
  }
  g.reasoning = text_split_pieces(reasoning);
  return g;
}

std::string route_join(const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& p : pieces) out += p;
  return out;
}

void ChatPrompt::add(const std::string& role, const std::string& content) {
  messages.push_back({{"role", role}, {"content", content}});
  auto pieces = text_split_pieces(content);
  tokens += static_cast<int>(pieces.size()) + 3;
  flat.push_back("\x01" + role);  // NOTE: a marker no text piece equals, so roles count
  flat.insert(flat.end(), pieces.begin(), pieces.end());
}

std::string route_text_content(const json& content, const std::string& field) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) throw BadRequest{field + " must be a string or an array", field};
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    const std::string where = field + "[" + std::to_string(i) + "]";
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
        !part["text"].is_string())
      throw BadRequest{where + " must be a {type: text, text} part", where};
    text += part["text"].get<std::string>();
  }
  return text;
}

std::vector<std::string> route_parse_stops(const json& body, const char* field) {
  std::vector<std::string> stops;
  if (!body.contains(field) || body[field].is_null()) return stops;
  const json& s = body[field];
  if (s.is_string()) return {s.get<std::string>()};
  if (!s.is_array()) throw BadRequest{std::string(field) + " must be a string or an array", field};
  for (const auto& x : s) {
    if (!x.is_string()) throw BadRequest{std::string(field) + " must hold strings", field};
    stops.push_back(x.get<std::string>());
  }
  return stops;
}

int route_get_int(const json& body, const char* field, int fallback, int min_value) {
  if (!body.contains(field) || body[field].is_null()) return fallback;
  const json& v = body[field];
  if (!v.is_number_integer() || v.get<long long>() < min_value || v.get<long long>() > 1 << 30)
    throw BadRequest{std::string(field) + " must be an integer >= " + std::to_string(min_value),
                     field};
  return v.get<int>();
}

void route_check_number(const json& body, const char* field) {
  if (body.contains(field) && !body[field].is_null() && !body[field].is_number())
    throw BadRequest{std::string(field) + " must be a number", field};
}

std::string route_model(const json& body) {
  if (!body.contains("model") || !body["model"].is_string())
    throw BadRequest{"model must be a string", "model"};
  return body["model"].get<std::string>();
}

std::string route_reasoning_text(int pieces) {
  const std::string sentence = "Let me think step by step about this problem. ";
  std::string text;
  while (static_cast<int>(text_split_pieces(text).size()) < pieces) text += sentence;
  auto cut = text_split_pieces(text);
  cut.resize(pieces);
  return route_join(cut);
}

std::string sse_data(const json& j) { return "data: " + j.dump() + "\n\n"; }

std::string sse_event(const std::string& name, const json& j) {
  return "event: " + name + "\ndata: " + j.dump() + "\n\n";
}

namespace {

std::string openai_error_type(int status) {
  if (status == 401) return "invalid_request_error";
  if (status == 429) return "requests";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

std::string anthropic_error_type(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 404:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    case 529:
      return "overloaded_error";
    case 503:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

}  // namespace

std::string route_error_body(Flavor flavor, int status, const std::string& message,
                             const std::string& param, const std::string& code) {
  if (flavor == Flavor::kAnthropic)
    return json{{"type", "error"},
                {"error", {{"type", anthropic_error_type(status)}, {"message", message}}}}
        .dump();
  return json{{"error",
               {{"message", message},
                {"type", openai_error_type(status)},
                {"param", param.empty() ? json(nullptr) : json(param)},
                {"code", code.empty() ? json(nullptr) : json(code)}}}}
      .dump();
}

void route_send_error(Flavor flavor, int status, const std::string& message,
                      const std::string& param, httplib::Response& res) {
  std::string code;
  if (status == 401) code = "invalid_api_key";
  if (status == 429) code = "rate_limit_exceeded";
  if (status == 404) code = "unknown_url";
  res.status = status;
  res.set_content(route_error_body(flavor, status, message, param, code), "application/json");
}

}  // namespace moebench::loopback
