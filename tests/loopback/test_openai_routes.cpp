// The loopback server's OpenAI routes with a plain HTTP client: chat and completions, plain and
// streamed, usage, stops, max_tokens, n, the DeepSeek flavour, echo/logprobs on a UTF-8 prompt.
#include <cmath>

#include "tests/catch.h"
#include "tests/loopback/loopback_test_util.h"
#include "tests/loopback/server/text_pieces.h"

using namespace moebench::loopback;
using namespace moebench::loopback::testing;

namespace {

json chat_body(const std::string& text) {
  return {{"model", "gpt-loopback"}, {"messages", {{{"role", "user"}, {"content", text}}}}};
}

}  // namespace

TEST_CASE("pieces never split a UTF-8 sequence") {
  auto p = text_split_pieces("The answer is 0.");
  REQUIRE(p == std::vector<std::string>{"The ", "answ", "er i", "s 0."});
  p = text_split_pieces("h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c\xf0\x9f\x98\x80");  // héllo 世界😀
  REQUIRE(p == std::vector<std::string>{"h\xc3\xa9l", "lo ", "\xe4\xb8\x96", "\xe7\x95\x8c",
                                        "\xf0\x9f\x98\x80"});
  REQUIRE(text_count_code_points("h\xc3\xa9l") == 3);
}

TEST_CASE("chat completion non-stream has the OpenAI shape and usage") {
  auto s = start_server();
  auto r = post(*s, "/v1/chat/completions", chat_body("Hi"));
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json j = json::parse(r->body);
  CHECK(j["object"] == "chat.completion");
  CHECK(j["model"] == "gpt-loopback");
  CHECK(j["choices"][0]["index"] == 0);
  CHECK(j["choices"][0]["message"]["role"] == "assistant");
  CHECK(j["choices"][0]["message"]["content"] == "The answer is 0.");
  CHECK(j["choices"][0]["finish_reason"] == "stop");
  CHECK(j["choices"][0]["logprobs"].is_null());
  // 1 message: pieces("Hi") + 3, plus 3.
  CHECK(j["usage"]["prompt_tokens"] == 7);
  CHECK(j["usage"]["completion_tokens"] == 4);
  CHECK(j["usage"]["total_tokens"] == 11);
  CHECK(j["usage"]["prompt_tokens_details"]["cached_tokens"] == 0);
  CHECK(j["usage"]["completion_tokens_details"]["reasoning_tokens"] == 0);
  CHECK_FALSE(j["usage"].contains("prompt_cache_hit_tokens"));
}

TEST_CASE("chat content as text parts, stop and max_tokens") {
  auto s = start_server();
  json body = {
      {"model", "m"},
      {"messages",
       {{{"role", "user"},
         {"content", {{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}}}}}},
      {"stop", {"is"}}};
  json j = json::parse(post(*s, "/v1/chat/completions", body)->body);
  CHECK(j["choices"][0]["message"]["content"] == "The answer ");
  CHECK(j["choices"][0]["finish_reason"] == "stop");
  body.erase("stop");
  body["max_tokens"] = 2;
  j = json::parse(post(*s, "/v1/chat/completions", body)->body);
  CHECK(j["choices"][0]["message"]["content"] == "The answ");
  CHECK(j["choices"][0]["finish_reason"] == "length");
  CHECK(j["usage"]["completion_tokens"] == 2);
  body["max_completion_tokens"] = 1;
  j = json::parse(post(*s, "/v1/chat/completions", body)->body);
  CHECK(j["choices"][0]["message"]["content"] == "The ");
}

TEST_CASE("chat stream sends role, one chunk per piece, finish, usage and DONE") {
  auto s = start_server();
  json body = chat_body("Hi");
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  auto r = post(*s, "/v1/chat/completions", body);
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type").rfind("text/event-stream", 0) == 0);
  auto data = sse_payloads(r->body);
  REQUIRE(data.size() == 8);  // role + 4 pieces + finish + usage + DONE
  CHECK(data.back() == "[DONE]");
  json first = json::parse(data[0]);
  CHECK(first["object"] == "chat.completion.chunk");
  CHECK(first["choices"][0]["delta"]["role"] == "assistant");
  std::string text;
  for (size_t i = 1; i <= 4; ++i)
    text += json::parse(data[i])["choices"][0]["delta"]["content"].get<std::string>();
  CHECK(text == "The answer is 0.");
  CHECK(json::parse(data[5])["choices"][0]["finish_reason"] == "stop");
  json usage = json::parse(data[6]);
  CHECK(usage["choices"].empty());
  CHECK(usage["usage"]["completion_tokens"] == 4);
  CHECK(usage["usage"]["prompt_tokens"] == 7);
}

TEST_CASE("chat n=2 streams choices interleaved by index") {
  auto s = start_server();
  json body = chat_body("Hi");
  body["n"] = 2;
  json j = json::parse(post(*s, "/v1/chat/completions", body)->body);
  REQUIRE(j["choices"].size() == 2);
  CHECK(j["choices"][1]["index"] == 1);
  CHECK(j["usage"]["completion_tokens"] == 8);
  body["stream"] = true;
  auto data = sse_payloads(post(*s, "/v1/chat/completions", body)->body);
  REQUIRE(data.size() == 2 * 6 + 1);
  for (size_t i = 0; i + 1 < data.size(); ++i)
    CHECK(json::parse(data[i])["choices"][0]["index"] == static_cast<int>(i % 2));
}

TEST_CASE("deepseek models report cache hits and reasoning content") {
  auto s = start_server();
  json body = chat_body("Hi");
  body["model"] = "deepseek-reasoner";
  json j = json::parse(post(*s, "/v1/chat/completions", body)->body);
  const std::string reasoning = j["choices"][0]["message"]["reasoning_content"];
  CHECK(reasoning.rfind("Let me think step by step", 0) == 0);
  CHECK(text_split_pieces(reasoning).size() == 40);
  CHECK(j["usage"]["completion_tokens"] == 44);
  CHECK(j["usage"]["completion_tokens_details"]["reasoning_tokens"] == 40);
  CHECK(j["usage"]["prompt_cache_hit_tokens"] == 0);
  CHECK(j["usage"]["prompt_cache_miss_tokens"] == 7);
  body["stream"] = true;
  auto data = sse_payloads(post(*s, "/v1/chat/completions", body)->body);
  std::string streamed_reasoning, content;
  for (size_t i = 0; i + 1 < data.size(); ++i) {
    json d = json::parse(data[i])["choices"][0]["delta"];
    if (d.contains("reasoning_content")) {
      CHECK(content.empty());  // reasoning comes first
      streamed_reasoning += d["reasoning_content"].get<std::string>();
    }
    if (d.contains("content")) content += d["content"].get<std::string>();
  }
  CHECK(streamed_reasoning == reasoning);
  CHECK(content == "The answer is 0.");
}

TEST_CASE("completions echo and logprobs on a UTF-8 prompt") {
  auto s = start_server();
  const std::string prompt = "h\xc3\xa9llo \xe4\xb8\x96";  // "héllo 世"
  json body = {
      {"model", "m"}, {"prompt", prompt}, {"echo", true}, {"logprobs", 1}, {"max_tokens", 2}};
  json j = json::parse(post(*s, "/v1/completions", body)->body);
  CHECK(j["object"] == "text_completion");
  json c = j["choices"][0];
  CHECK(c["text"] == prompt + "The answ");
  CHECK(c["finish_reason"] == "length");
  json lp = c["logprobs"];
  const std::vector<std::string> tokens = {"h\xc3\xa9l", "lo ", "\xe4\xb8\x96", "The ", "answ"};
  REQUIRE(lp["tokens"].get<std::vector<std::string>>() == tokens);
  CHECK(lp["token_logprobs"][0].is_null());
  CHECK(lp["top_logprobs"][0].is_null());
  for (size_t i = 1; i < tokens.size(); ++i) {
    CHECK(std::abs(lp["token_logprobs"][i].get<double>() - expected_logprob(tokens[i])) < 1e-12);
    CHECK(std::abs(lp["top_logprobs"][i][tokens[i]].get<double>() - expected_logprob(tokens[i])) <
          1e-12);
  }
  CHECK(lp["text_offset"].get<std::vector<int>>() == std::vector<int>{0, 3, 6, 7, 11});
  CHECK(j["usage"]["prompt_tokens"] == 3);
  CHECK(j["usage"]["completion_tokens"] == 2);
  body["max_tokens"] = 0;  // prompt scoring: echo only
  j = json::parse(post(*s, "/v1/completions", body)->body);
  CHECK(j["choices"][0]["text"] == prompt);
  CHECK(j["choices"][0]["logprobs"]["tokens"].size() == 3);
}

TEST_CASE("completions with a prompt array answer one choice per prompt, and stream") {
  auto s = start_server();
  json body = {{"model", "m"}, {"prompt", {"one", "two"}}};
  json j = json::parse(post(*s, "/v1/completions", body)->body);
  REQUIRE(j["choices"].size() == 2);
  CHECK(j["choices"][1]["index"] == 1);
  CHECK(j["choices"][0]["text"] == "The answer is 0.");
  CHECK(j["choices"][0]["logprobs"].is_null());
  CHECK(j["usage"]["prompt_tokens"] == 2);
  CHECK(j["usage"]["completion_tokens"] == 8);
  body = {{"model", "m"},
          {"prompt", "x"},
          {"stream", true},
          {"logprobs", 0},
          {"stream_options", {{"include_usage", true}}}};
  auto data = sse_payloads(post(*s, "/v1/completions", body)->body);
  REQUIRE(data.size() == 4 + 1 + 1 + 1);
  std::string text;
  for (int i = 0; i < 4; ++i) {
    json ch = json::parse(data[i])["choices"][0];
    CHECK(ch["logprobs"]["text_offset"][0] == 4 * i);
    text += ch["text"].get<std::string>();
  }
  CHECK(text == "The answer is 0.");
  CHECK(json::parse(data[4])["choices"][0]["finish_reason"] == "stop");
  CHECK(json::parse(data[5])["usage"]["total_tokens"] == 5);
  CHECK(data[6] == "[DONE]");
}

TEST_CASE("models list, unknown routes and bad bodies") {
  auto s = start_server();
  httplib::Client c("127.0.0.1", s->port());
  auto r = c.Get("/v1/models");
  REQUIRE(r->status == 200);
  json j = json::parse(r->body);
  CHECK(j["object"] == "list");
  CHECK(j["data"][0]["object"] == "model");
  r = c.Get("/v1/nothing");
  CHECK(r->status == 404);
  CHECK(json::parse(r->body)["error"]["code"] == "unknown_url");
  r = c.Post("/v1/chat/completions", "{not json", "application/json");
  CHECK(r->status == 400);
  r = post(*s, "/v1/chat/completions", {{"model", "m"}, {"messages", "hi"}});
  CHECK(r->status == 400);
  CHECK(json::parse(r->body)["error"]["param"] == "messages");
  r = post(*s, "/v1/chat/completions",
           {{"model", "m"},
            {"messages", {{{"role", "user"}, {"content", "x"}}}},
            {"max_tokens", "ten"}});
  CHECK(json::parse(r->body)["error"]["param"] == "max_tokens");
}
