// `moebench serve` answers every bad request with 400 (or 404) and OpenAI's error object naming
// the parameter: nothing reaches a 500, nothing is silently clamped or ignored.
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/catch.h"
#include "tests/serve/serve_harness.h"

using namespace moebench::testing;
using json = nlohmann::json;

namespace {

// An OpenAI error object with a message, and the status and param expected.
void require_error(const std::string& path, const json& body, int status_wanted,
                   const json& param_wanted) {
  int status = 0;
  const json e = serve_post(path, body, &status);
  INFO(path << " " << body.dump() << " -> " << status << " " << e.dump());
  CHECK(status == status_wanted);
  REQUIRE(e.contains("error"));
  CHECK(e["error"]["message"].is_string());
  CHECK(!e["error"]["message"].get<std::string>().empty());
  CHECK(e["error"]["type"] == "invalid_request_error");
  CHECK(e["error"]["param"] == param_wanted);
}

const json kChat = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", 2}};
const json kCompletion = {{"prompt", "hello"}, {"max_tokens", 2}};

json with(json body, const std::string& key, const json& value) {
  body[key] = value;
  return body;
}

}  // namespace

TEST_CASE("serve: a parameter out of range is 400 naming it, never 500", "[serve][bad-input]") {
  // top_k -3 reached the sampler and came back as HTTP 500 on 06a5878.
  require_error("/v1/completions", with(kCompletion, "top_k", -3), 400, "top_k");
  require_error("/v1/chat/completions", with(kChat, "top_k", -3), 400, "top_k");
  require_error("/v1/completions", with(kCompletion, "top_k", "5"), 400, "top_k");
  require_error("/v1/completions", with(kCompletion, "top_p", 0), 400, "top_p");
  require_error("/v1/completions", with(kCompletion, "temperature", "hot"), 400, "temperature");
  require_error("/v1/completions", with(kCompletion, "n", 1.5), 400, "n");
  require_error("/v1/completions", with(kCompletion, "n", 10000000000LL), 400, "n");
  require_error("/v1/completions", with(kCompletion, "seed", "x"), 400, "seed");
  require_error("/v1/completions", with(kCompletion, "logprobs", true), 400, "logprobs");
  require_error("/v1/chat/completions", with(with(kChat, "logprobs", true), "top_logprobs", 21),
                400, "top_logprobs");
  require_error("/v1/completions", with(kCompletion, "stream_options", 3), 400, "stream_options");
  require_error("/v1/completions", with(kCompletion, "presence_penalty", 0.5), 400,
                "presence_penalty");
  require_error("/v1/completions", with(kCompletion, "logit_bias", {{"5", 100}}), 400,
                "logit_bias");
}

TEST_CASE("serve: max_tokens beyond the context is 400, as OpenAI and vLLM answer",
          "[serve][bad-input]") {
  // 06a5878 clamped these silently (and 1e10 wrapped around as an int).
  require_error("/v1/completions", with(kCompletion, "max_tokens", 100000000), 400, "max_tokens");
  require_error("/v1/chat/completions", with(kChat, "max_tokens", 100000000), 400, "max_tokens");
  require_error("/v1/completions", with(kCompletion, "max_tokens", 10000000000LL), 400,
                "max_tokens");
  require_error("/v1/completions", with(kCompletion, "max_tokens", 2.5), 400, "max_tokens");
  // The limit is named as the request gave it: max_completion_tokens was reported as max_tokens.
  json chat = kChat;
  chat.erase("max_tokens");
  require_error("/v1/chat/completions", with(chat, "max_completion_tokens", 100000000), 400,
                "max_completion_tokens");
  // Without max_tokens, chat still generates until the context is full (OpenAI's default).
  int status = 0;
  json body = kChat;
  body.erase("max_tokens");
  body["stop"] = "a";  // any stop string: ends soon on a random model, or hits the context
  serve_post("/v1/chat/completions", body, &status);
  CHECK(status == 200);
}

TEST_CASE("serve: a token-id prompt holding a non-integer or an id outside the vocabulary is 400",
          "[serve][bad-input]") {
  // Each message as the request's fault is: "a" is no token id at all, so it was wrong to call
  // it one outside the vocabulary; 2^32 + 5 is outside it, not token 5.
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array({json::array({"a"})}), "must be an integer"},
      {json::array({1, 2.5}), "must be an integer"},
      {json::array({json::array({1}), json::array({true})}), "must be an integer"},
      {json::array({99999}), "outside the vocabulary"},
      {json::array({-1}), "outside the vocabulary"},
      {json::array({4294967301LL}), "outside the vocabulary"},
      {json::array({json::array({18446744073709551615ULL})}), "outside the vocabulary"},
  };
  for (const auto& [prompt, wanted] : cases) {
    const json body = with(kCompletion, "prompt", prompt);
    require_error("/v1/completions", body, 400, "prompt");
    const std::string message = serve_post("/v1/completions", body)["error"]["message"];
    INFO(prompt.dump() << " -> " << message);
    CHECK(message.find(wanted) != std::string::npos);
  }
}

TEST_CASE("serve: malformed messages and unknown parameters are 400", "[serve][bad-input]") {
  require_error("/v1/chat/completions", {{"messages", {1, 2}}}, 400, "messages");
  require_error(
      "/v1/chat/completions",
      {{"messages", {{{"role", "user"}, {"content", {{{"type", "text"}, {"text", 5}}}}}}}}, 400,
      "messages");
  require_error("/v1/chat/completions",
                {{"messages", {{{"role", "user"}, {"content", {"just a string"}}}}}}, 400,
                "messages");
  require_error("/v1/chat/completions", with(kChat, "model", 7), 400, "model");
  require_error("/v1/chat/completions", with(kChat, "frobnicate", 1), 400, "frobnicate");
  require_error("/v1/completions", with(kCompletion, "messages", json::array()), 400, "messages");
  require_error("/v1/chat/completions", with(kChat, "echo", true), 400, "echo");
}

TEST_CASE("serve: an unknown route is 404 with OpenAI's error object", "[serve][bad-input]") {
  // 06a5878 answered 404 with an empty body, which OpenAI clients cannot read.
  for (const std::string path : {"/v1/nope", "/v1/chat/completion", "/"}) {
    auto res = serve_client().Post(path.c_str(), kChat.dump(), "application/json");
    REQUIRE(res);
    INFO(path << " -> " << res->body);
    CHECK(res->status == 404);
    const json e = json::parse(res->body, nullptr, false);
    REQUIRE(e.is_object());
    CHECK(e["error"]["message"] == "Invalid URL (POST " + path + ")");
    CHECK(e["error"]["type"] == "invalid_request_error");
  }
  auto res = serve_client().Get("/v1/completions");
  REQUIRE(res);
  CHECK(res->status == 404);
  CHECK(json::parse(res->body, nullptr, false)["error"]["message"] ==
        "Invalid URL (GET /v1/completions)");
}

TEST_CASE("serve: ignore_eos decodes exactly max_tokens", "[serve]") {
  // loadgen sends vLLM's ignore_eos so that every request decodes max_tokens.
  int status = 0;
  const json a = serve_post(
      "/v1/completions",
      {{"prompt", "hello"}, {"max_tokens", 24}, {"temperature", 0}, {"ignore_eos", true}}, &status);
  REQUIRE(status == 200);
  CHECK(a["usage"]["completion_tokens"] == 24);
  CHECK(a["choices"][0]["finish_reason"] == "length");
}
