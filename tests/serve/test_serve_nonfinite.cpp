// `moebench serve` on a checkpoint whose forward pass gives NaN logits answers with a 500 naming
// the cause, never with text drawn from NaN (a reviewer got token 0, "\x00", until max_tokens).
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/builtin/builtin_test_util.h"
#include "tests/catch.h"
#include "tests/serve/in_process_serve.h"

using namespace moebench;
using namespace moebench::testing;
using json = nlohmann::json;

TEST_CASE("serve: NaN logits are a 500 with the cause, not text", "[serve]") {
  InProcessServe serve(nan_checkpoint("qwen3_moe"));
  httplib::Client client("127.0.0.1", serve.port());
  client.set_read_timeout(120, 0);
  const json chat = {{"messages", json::array({{{"role", "user"}, {"content", "Hi"}}})},
                     {"max_tokens", 4}};
  const json completion = {{"prompt", "Once upon a time"}, {"max_tokens", 4}, {"temperature", 1.0}};
  const json echo = {
      {"prompt", "Once upon a time"}, {"max_tokens", 0}, {"echo", true}, {"logprobs", 1}};
  for (const auto& [path, body] : {std::pair<std::string, json>{"/v1/chat/completions", chat},
                                   {"/v1/completions", completion},
                                   {"/v1/completions", echo}}) {
    const auto res = client.Post(path.c_str(), body.dump(), "application/json");
    REQUIRE(res);
    INFO(path << " " << body.dump() << ": " << res->body);
    CHECK(res->status == 500);
    const json j = json::parse(res->body, nullptr, false);
    REQUIRE(j.contains("error"));
    CHECK(j["error"]["type"] == "server_error");
    CHECK(j["error"]["message"].get<std::string>().find("NaN or infinite logits") !=
          std::string::npos);
  }
}
