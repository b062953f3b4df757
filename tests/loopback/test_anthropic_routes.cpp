// The loopback server's Anthropic Messages route: the message body, the event stream, thinking,
// stop sequences, max_tokens, and the 400s the real API gives.
#include "tests/catch.h"
#include "tests/loopback/loopback_test_util.h"

using namespace moebench::loopback;
using namespace moebench::loopback::testing;

namespace {

json message_body() {
  return {{"model", "claude-loopback"},
          {"max_tokens", 100},
          {"system", "Be brief."},
          {"messages", {{{"role", "user"}, {"content", "Hi"}}}}};
}

}  // namespace

TEST_CASE("messages non-stream has the Anthropic shape and usage") {
  auto s = start_server();
  auto r = post(*s, "/v1/messages", message_body(), anthropic_headers());
  REQUIRE(r->status == 200);
  json j = json::parse(r->body);
  CHECK(j["type"] == "message");
  CHECK(j["role"] == "assistant");
  CHECK(j["content"][0]["type"] == "text");
  CHECK(j["content"][0]["text"] == "The answer is 0.");
  CHECK(j["stop_reason"] == "end_turn");
  CHECK(j["stop_sequence"].is_null());
  // system (3 pieces + 3) + user (1 + 3) + 3.
  CHECK(j["usage"]["input_tokens"] == 13);
  CHECK(j["usage"]["output_tokens"] == 4);
  CHECK(j["usage"]["cache_read_input_tokens"] == 0);
  CHECK(j["usage"]["cache_creation_input_tokens"] == 0);
}

TEST_CASE("messages stop_sequences, max_tokens and thinking") {
  auto s = start_server();
  json body = message_body();
  body["stop_sequences"] = {"0"};
  json j = json::parse(post(*s, "/v1/messages", body, anthropic_headers())->body);
  CHECK(j["content"][0]["text"] == "The answer is ");
  CHECK(j["stop_reason"] == "stop_sequence");
  CHECK(j["stop_sequence"] == "0");
  body.erase("stop_sequences");
  body["max_tokens"] = 3;
  j = json::parse(post(*s, "/v1/messages", body, anthropic_headers())->body);
  CHECK(j["stop_reason"] == "max_tokens");
  CHECK(j["usage"]["output_tokens"] == 3);
  body["max_tokens"] = 100;
  body["thinking"] = {{"type", "enabled"}, {"budget_tokens", 1024}};
  j = json::parse(post(*s, "/v1/messages", body, anthropic_headers())->body);
  REQUIRE(j["content"].size() == 2);
  CHECK(j["content"][0]["type"] == "thinking");
  CHECK(j["content"][0]["thinking"].get<std::string>().rfind("Let me think", 0) == 0);
  CHECK(j["content"][1]["text"] == "The answer is 0.");
  CHECK(j["usage"]["output_tokens"] == 44);
}

TEST_CASE("messages stream sends the Anthropic event sequence") {
  auto s = start_server();
  json body = message_body();
  body["stream"] = true;
  auto r = post(*s, "/v1/messages", body, anthropic_headers());
  REQUIRE(r->status == 200);
  auto names = sse_event_names(r->body);
  const std::vector<std::string> expected = {
      "message_start",       "content_block_start", "ping",
      "content_block_delta", "content_block_delta", "content_block_delta",
      "content_block_delta", "content_block_stop",  "message_delta",
      "message_stop"};
  CHECK(names == expected);
  auto data = sse_payloads(r->body);
  REQUIRE(data.size() == expected.size());
  json start = json::parse(data[0]);
  CHECK(start["message"]["usage"]["input_tokens"] == 13);
  CHECK(start["message"]["usage"]["output_tokens"] == 1);
  std::string text;
  for (int i = 3; i < 7; ++i) {
    json d = json::parse(data[i]);
    CHECK(d["delta"]["type"] == "text_delta");
    text += d["delta"]["text"].get<std::string>();
  }
  CHECK(text == "The answer is 0.");
  json delta = json::parse(data[8]);
  CHECK(delta["delta"]["stop_reason"] == "end_turn");
  CHECK(delta["usage"]["output_tokens"] == 4);

  body["thinking"] = {{"type", "enabled"}, {"budget_tokens", 2048}};
  r = post(*s, "/v1/messages", body, anthropic_headers());
  data = sse_payloads(r->body);
  json first_block = json::parse(data[1]);
  CHECK(first_block["content_block"]["type"] == "thinking");
  CHECK(json::parse(data[3])["delta"]["type"] == "thinking_delta");
}

TEST_CASE("messages without anthropic-version or max_tokens are 400") {
  auto s = start_server();
  auto r = post(*s, "/v1/messages", message_body());
  REQUIRE(r->status == 400);
  json j = json::parse(r->body);
  CHECK(j["type"] == "error");
  CHECK(j["error"]["type"] == "invalid_request_error");
  json body = message_body();
  body.erase("max_tokens");
  r = post(*s, "/v1/messages", body, anthropic_headers());
  REQUIRE(r->status == 400);
  CHECK(json::parse(r->body)["error"]["message"].get<std::string>().find("max_tokens") !=
        std::string::npos);
}
