// One streaming OpenAI request of `moebench loadgen`: body, SSE reading, timing, error types.
#include "harness/loadgen/loadgen_client.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/http_stream.h"

namespace moebench {

using json = nlohmann::json;

std::string loadgen_request_body(const LoadgenTarget& target, const LoadgenPrompt& prompt) {
  json body = {{"model", target.model},
               {"max_tokens", prompt.max_tokens},
               {"temperature", 0},
               {"stream", true},
               {"stream_options", {{"include_usage", true}}}};
  // NOTE: vLLM and SGLang honour ignore_eos, so every request decodes max_tokens; servers that do
  // not know the field (moebench serve, OpenAI-compatible proxies) ignore it.
  if (target.ignore_eos) body["ignore_eos"] = true;
  if (target.chat && !prompt.messages.empty()) {
    body["messages"] = json::array();
    for (const ChatMessage& m : prompt.messages)
      body["messages"].push_back({{"role", m.role}, {"content", m.content}});
  } else if (target.chat) {
    body["messages"] = json::array({{{"role", "user"}, {"content", prompt.text}}});
  } else {
    body["prompt"] = prompt.text;
  }
  return body.dump();
}

void StreamReader::fail(const std::string& type, const std::string& message) {
  if (failed_) return;
  failed_ = true;
  record_->ok = false;
  record_->error_type = type;
  record_->error_message = message;
}

void StreamReader::on_event(const std::string& payload, double t_s) {
  if (failed_ || done_) return;
  if (payload == "[DONE]") {
    done_ = true;
    return;
  }
  json j = json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail("bad_sse", "event is not a JSON object: " + payload.substr(0, 200));
  if (j.contains("error")) return fail("server_error", j["error"].dump().substr(0, 300));
  if (j.contains("usage") && j["usage"].is_object()) {
    record_->input_tokens = j["usage"].value("prompt_tokens", 0L);
    record_->output_tokens = j["usage"].value("completion_tokens", 0L);
    record_->tokens_from_usage = true;
  }
  if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) return;
  const json& c = j["choices"][0];
  const json* text = nullptr;
  if (chat_ && c.contains("delta") && c["delta"].is_object() && c["delta"].contains("content")) {
    text = &c["delta"]["content"];
  } else if (!chat_ && c.contains("text")) {
    text = &c["text"];
  }
  // NOTE: only non-empty content counts (vLLM): the chat role chunk and the finish chunk carry
  // none, so they neither end TTFT nor add an ITL.
  if (!text || !text->is_string() || text->get_ref<const std::string&>().empty()) return;
  if (chunks_ == 0) {
    record_->ttft_s = t_s;
  } else {
    record_->itl_s.push_back(t_s - last_s_);
  }
  last_s_ = t_s;
  ++chunks_;
}

void StreamReader::finish(double t_s) {
  record_->e2el_s = t_s;
  if (failed_) return;
  if (!done_) return fail("bad_sse", "the stream ended without 'data: [DONE]'");
  if (chunks_ == 0) return fail("no_output", "the stream held no content");
  if (!record_->tokens_from_usage) record_->output_tokens = chunks_;
  record_->ok = true;
}

LoadgenConnection::LoadgenConnection(const LoadgenTarget& target) : target_(target) {
  std::string host;
  http_split_url(target.base_url, "--base-url", &host, &prefix_);
  client_ = std::make_unique<httplib::Client>(host);
  client_->set_keep_alive(true);
  client_->set_connection_timeout(10, 0);
  const time_t whole = static_cast<time_t>(target.timeout_s);
  client_->set_read_timeout(whole, static_cast<time_t>((target.timeout_s - whole) * 1e6));
  client_->set_write_timeout(whole, 0);
}

LoadgenConnection::~LoadgenConnection() = default;

namespace {

// What went wrong below the SSE layer, as the record's error type and message; nothing when the
// exchange completed with HTTP 200.
void transport_error(httplib::Error err, bool timed_out, double elapsed_s, int status,
                     const std::string& body, const LoadgenTarget& target, RequestRecord* rec) {
  if (err == httplib::Error::Connection || err == httplib::Error::ConnectionTimeout ||
      err == httplib::Error::SSLConnection) {
    rec->error_type = "connect";
    rec->error_message = "cannot connect to " + target.base_url + ": " + httplib::to_string(err);
  } else if (timed_out || (err == httplib::Error::Read && elapsed_s >= target.timeout_s * 0.99)) {
    rec->error_type = "timeout";
    rec->error_message = "no complete response within " + std::to_string(target.timeout_s) + " s";
  } else if (status != 0 && status != 200) {
    rec->error_type = "http";
    rec->error_message = "HTTP " + std::to_string(status) + ": " + body.substr(0, 300);
  } else if (err != httplib::Error::Success) {
    rec->error_type = "io";
    rec->error_message = httplib::to_string(err);
  }
}

}  // namespace

RequestRecord LoadgenConnection::send(const LoadgenPrompt& prompt, int index,
                                      std::chrono::steady_clock::time_point run_start) {
  using clock = std::chrono::steady_clock;
  RequestRecord rec;
  rec.index = index;
  rec.max_tokens = prompt.max_tokens;
  rec.prompt = prompt.messages.empty() ? prompt.text : prompt.messages.back().content;
  StreamReader reader(&rec, target_.chat);
  SseSplitter sse;
  int status = 0;
  std::string error_body;

  httplib::Request req;
  req.method = "POST";
  req.path = prefix_ + (target_.chat ? "/chat/completions" : "/completions");
  req.body = loadgen_request_body(target_, prompt);
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", "text/event-stream");
  if (!target_.api_key.empty()) req.set_header("Authorization", "Bearer " + target_.api_key);
  const clock::time_point t0 = clock::now();
  auto since = [t0] { return std::chrono::duration<double>(clock::now() - t0).count(); };
  bool timed_out = false;
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    const double t = since();
    if (t > target_.timeout_s) {
      timed_out = true;
      return false;
    }
    if (status != 200) {
      if (error_body.size() < 300) error_body.append(data, std::min<size_t>(len, 300));
      return true;
    }
    sse.feed(std::string_view(data, len), [&](const std::string& e) { reader.on_event(e, t); });
    return true;
  };
  rec.send_s = std::chrono::duration<double>(t0 - run_start).count();
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  client_->send(req, res, err);
  const double end = since();

  rec.e2el_s = end;
  transport_error(err, timed_out, end, status, error_body, target_, &rec);
  if (rec.error_type.empty()) reader.finish(end);
  return rec;
}

}  // namespace moebench
