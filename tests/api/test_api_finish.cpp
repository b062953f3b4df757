// Why an API answer ended (reviewer 71, finding 3): finish_reason "length" (Anthropic stop_reason
// max_tokens) is recorded per sample, counted per suite and named at the end of the run; a
// content_filter refusal (Anthropic "refusal") is a failed sample of its own type, never cached.
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "backends/api/api_anthropic.h"
#include "backends/api/api_openai.h"
#include "tests/api/api_loopback_util.h"
#include "tests/catch.h"

using namespace moebench;
using namespace moebench::testing;
using nlohmann::json;

namespace {

ModelEntry wire_entry(const std::string& provider) {
  ModelEntry m;
  m.name = "m";
  m.provider = provider;
  m.base_url = "http://127.0.0.1:1/v1";
  m.model = "model-id";
  return m;
}

Request wire_request() {
  Request r;
  r.messages = {{"user", "2+2?"}};
  r.generation.max_tokens = 8;
  return r;
}

// A chat server whose every answer is withheld: OpenAI's finish_reason content_filter, or
// Anthropic's stop_reason refusal. Counts the requests it answered.
class FilterServer {
 public:
  FilterServer() {
    svr_.Post("/v1/chat/completions", [this](const httplib::Request&, httplib::Response& res) {
      ++requests;
      res.set_content(
          R"({"choices":[{"index":0,"message":{"role":"assistant","content":""},)"
          R"("finish_reason":"content_filter"}],"usage":{"prompt_tokens":20,"completion_tokens":0}})",
          "application/json");
    });
    svr_.Post("/v1/messages", [this](const httplib::Request&, httplib::Response& res) {
      ++requests;
      res.set_content(R"({"type":"message","role":"assistant","content":[],)"
                      R"("stop_reason":"refusal","usage":{"input_tokens":20,"output_tokens":0}})",
                      "application/json");
    });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
  }
  ~FilterServer() {
    svr_.stop();
    thread_.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::atomic<long> requests{0};

 private:
  httplib::Server svr_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_CASE("the wire formats read why each answer ended") {
  OpenAiWire oai(wire_entry("openai"));
  ApiCall call = oai.generate_call(wire_request(), 2);
  ApiReply whole = oai.parse(
      json::parse(R"({"choices":[{"index":0,"message":{"content":"4"},"finish_reason":"stop"},
                    {"index":1,"message":{"content":"fo"},"finish_reason":"length"}]})"),
      call);
  CHECK(whole.finish_reasons == std::vector<std::string>{"stop", "length"});
  auto s = oai.stream(call);
  s->on_event(R"({"choices":[{"index":1,"delta":{"content":""},"finish_reason":null}]})");
  s->on_event(R"({"choices":[{"index":0,"delta":{},"finish_reason":"content_filter"}]})");
  s->on_event(R"({"choices":[{"index":1,"delta":{},"finish_reason":"stop"}]})");
  s->on_event("[DONE]");
  CHECK(s->finish().finish_reasons == std::vector<std::string>{"content_filter", "stop"});

  AnthropicWire ant(wire_entry("anthropic"));
  ApiCall one = ant.generate_call(wire_request(), 1);
  const std::pair<const char*, const char*> named[] = {{"end_turn", "stop"},
                                                       {"stop_sequence", "stop"},
                                                       {"max_tokens", "length"},
                                                       {"refusal", "content_filter"},
                                                       {"pause_turn", "pause_turn"}};
  for (const auto& [given, recorded] : named) {
    INFO(given);
    json body = {{"content", json::array()}, {"stop_reason", given}};
    CHECK(ant.parse(body, one).finish_reasons == std::vector<std::string>{recorded});
  }
  auto as = ant.stream(one);
  as->on_event(R"({"type":"message_start","message":{"usage":{"input_tokens":3}}})");
  as->on_event(R"({"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{}})");
  as->on_event(R"({"type":"message_stop"})");
  CHECK(as->finish().finish_reasons == std::vector<std::string>{"length"});
}

// The loopback ends an answer cut by max_tokens with finish_reason length (OpenAI, streamed) or
// stop_reason max_tokens (Anthropic, whole): it was scored, cached and reported as a clean answer.
TEST_CASE("answers cut at the token limit are recorded counted and named in the summary") {
  const fs::path dir = temp_dir("api-finish-length");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  loopback::Server server(so);
  server.start();
  for (const std::string provider : {"openai-compatible", "anthropic"}) {
    INFO(provider);
    const json extra =
        provider == "anthropic" ? json{{"api", {{"stream", false}}}} : json::object();
    const fs::path models = write_loop_models(dir, "loop", provider, server.base_url(), extra);
    LoopRun r = run_moebench("--backend api:loop --models '" + models.string() +
                                 "' --suites gsm8k --samples --no-cache --gen-kwargs max_tokens=3",
                             dir / "results", dir);
    INFO(r.command.output);
    REQUIRE(r.command.exit_code == 0);
    REQUIRE_FALSE(r.samples.empty());
    for (const json& s : r.samples) {
      CHECK(s["finish_reasons"] == json::array({"length"}));
      CHECK(s["error"].is_null());
    }
    const long n = static_cast<long>(r.samples.size());
    CHECK(r.run["suites"]["gsm8k"]["finish_reasons"] == json{{"length", n}});
    const std::string said = "gsm8k: " + std::to_string(n) + " of " + std::to_string(n) +
                             " answers stopped at the token limit (finish_reason length)";
    CHECK(r.command.output.find(said) != std::string::npos);
  }
  server.stop();
  fs::remove_all(dir);
}

TEST_CASE("a content-filtered answer is a failed sample that the cache never keeps") {
  const fs::path dir = temp_dir("api-finish-filter");
  FilterServer server;
  for (const std::string provider : {"openai-compatible", "anthropic"}) {
    INFO(provider);
    server.requests = 0;
    const json extra = {{"api", {{"stream", false}}}};
    const fs::path models = write_loop_models(dir, "f", provider, server.base_url(), extra);
    const std::string cmd =
        "--backend api:f --models '" + models.string() + "' --suites gsm8k --samples";
    LoopRun r = run_moebench(cmd, dir / ("results-" + provider), dir);
    INFO(r.command.output);
    CHECK(r.command.exit_code == 4);  // every sample failed
    REQUIRE_FALSE(r.samples.empty());
    const long n = static_cast<long>(r.samples.size());
    for (const json& s : r.samples) {
      CHECK(s["error"]["type"] == "content_filter");
      CHECK(s["finish_reasons"] == json::array({"content_filter"}));
    }
    CHECK(r.run["suites"]["gsm8k"]["errors"] == json{{"content_filter", n}});
    CHECK(r.run["tokens"]["billed"]["prompt"] == 20 * n);  // billed all the same
    CHECK(r.command.output.find("content_filter") != std::string::npos);
    CHECK(server.requests == n);
    // Not cached: the next run asks again.
    LoopRun again = run_moebench(cmd, dir / ("results-" + provider), dir);
    CHECK(server.requests == 2 * n);
  }
  fs::remove_all(dir);
}
