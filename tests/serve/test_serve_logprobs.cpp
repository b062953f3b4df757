// `moebench serve`'s echo and logprobs (issue 14 item 10) on the tiny random checkpoint: the
// values are the model's own (BuiltinModel::loglikelihood, prompt_logprobs, greedy generation),
// the shapes are OpenAI's, unsupported combinations are 400s naming the parameter, and
// `moebench run --backend api:local` with prompt_logprobs scores choice suites as the builtin
// backend does.
#include <httplib.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "backends/api/api_openai.h"
#include "backends/builtin/builtin_model.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"
#include "tests/serve/serve_harness.h"

using namespace moebench;
using namespace moebench::testing;
using json = nlohmann::json;

namespace {

std::unique_ptr<BuiltinModel> load_model(const GenerateLimits& limits = {}) {
  BuiltinLoadOptions o;
  o.threads = 1;
  o.limits = limits;
  return BuiltinModel::load(ServeProcess::get().model_dir(), o);
}

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The logprobs object's own invariants: tokens join to `text`, offsets count code points.
void check_shape(const json& lp, const std::string& text, size_t first_offset) {
  std::string joined;
  size_t offset = first_offset;
  REQUIRE(lp["tokens"].size() == lp["text_offset"].size());
  REQUIRE(lp["tokens"].size() == lp["token_logprobs"].size());
  REQUIRE(lp["tokens"].size() == lp["top_logprobs"].size());
  for (size_t i = 0; i < lp["tokens"].size(); ++i) {
    const std::string t = lp["tokens"][i];
    CHECK(lp["text_offset"][i] == offset);
    offset += code_points(t);
    joined += t;
  }
  CHECK(joined == text);
}

}  // namespace

TEST_CASE("serve: echo logprobs with max_tokens 0 equal BuiltinModel::loglikelihood", "[serve]") {
  const std::vector<BuiltinModel::LoglikItem> items = {
      {"Question: Which gas do plants take in?\nAnswer:", {" oxygen", " carbon dioxide"}},
      {"问题：天空是什么颜色？\n答案：", {" 蓝色", "A"}},
      {"Héllo wörld, ", {"naïve café"}}};
  std::unique_ptr<BuiltinModel> model = load_model();
  const std::vector<BuiltinModel::LoglikResult> want = model->loglikelihood(items);
  for (size_t i = 0; i < items.size(); ++i) {
    json prompts = json::array();
    for (const std::string& c : items[i].continuations) prompts.push_back(items[i].context + c);
    json r = serve_post("/v1/completions", {{"prompt", prompts},
                                            {"echo", true},
                                            {"logprobs", 1},
                                            {"max_tokens", 0},
                                            {"temperature", 0}});
    INFO(r.dump());
    REQUIRE(r["choices"].size() == items[i].continuations.size());
    CHECK(r["usage"]["completion_tokens"] == 0);
    for (size_t k = 0; k < items[i].continuations.size(); ++k) {
      const json& c = r["choices"][k];
      CHECK(c["index"] == k);
      CHECK(c["finish_reason"] == "length");
      CHECK(c["text"] == prompts[k]);  // the prompt echoed, nothing generated
      const json& lp = c["logprobs"];
      check_shape(lp, c["text"], 0);
      CHECK(lp["token_logprobs"][0].is_null());
      CHECK(lp["top_logprobs"][0].is_null());
      for (size_t t = 1; t < lp["tokens"].size(); ++t) {
        // logprobs 1: the best alternative and the chosen token (one entry when they agree).
        CHECK(lp["top_logprobs"][t].size() >= 1);
        CHECK(lp["top_logprobs"][t].size() <= 2);
      }
      // The continuation's tokens found by text_offset, as the api:local client sums them.
      const size_t from = code_points(items[i].context);
      const size_t to = from + code_points(items[i].continuations[k]);
      const double got = openai_span_loglik(lp, {from, to});
      CHECK(std::abs(got - want[i].logliks[k]) < 1e-4);
    }
  }
}

TEST_CASE("serve: generated tokens' logprobs are the model's log-softmax", "[serve]") {
  std::unique_ptr<BuiltinModel> model = load_model();
  const std::string prompt = "Once upon a time";
  GenerateRequest g;
  g.prompt = model->encode_text(prompt, false);
  g.max_tokens = 6;
  g.sampling.temperature = 0;
  const GenerateResult gen = model->generate({g})[0];
  std::vector<int> ids = g.prompt;
  ids.insert(ids.end(), gen.tokens.begin(), gen.tokens.end());
  const TokenLogprobs lp = model->prompt_logprobs(ids, 2);

  json r = serve_post(
      "/v1/completions",
      {{"prompt", prompt}, {"echo", true}, {"logprobs", 2}, {"max_tokens", 6}, {"temperature", 0}});
  const json& c = r["choices"][0];
  INFO(r.dump());
  CHECK(c["text"] == prompt + gen.text);
  const json& got = c["logprobs"];
  check_shape(got, c["text"], 0);
  // Every generated token made text here (no EOS or special token among them to leave out).
  REQUIRE(got["tokens"].size() <= ids.size());
  REQUIRE(got["tokens"].size() > g.prompt.size());
  for (size_t i = 1; i < got["tokens"].size(); ++i) {
    CHECK(std::abs(got["token_logprobs"][i].get<double>() - lp.logprob[i]) < 1e-9);
    double best = -INFINITY;
    for (const auto& [text, value] : got["top_logprobs"][i].items())
      best = std::max(best, value.get<double>());
    CHECK(std::abs(best - lp.top[i][0].second) < 1e-9);
    // Greedy: every generated token is the most likely one (up to the engine's rounding between
    // one-token decode steps and this one prefill).
    if (i >= g.prompt.size()) CHECK(std::abs(lp.logprob[i] - lp.top[i][0].second) < 1e-4);
  }
  // Without echo only the generated tokens, their offsets counted from the prompt's start.
  const size_t generated = got["tokens"].size() - g.prompt.size();
  const json r2 =
      serve_post("/v1/completions",
                 {{"prompt", prompt}, {"logprobs", 0}, {"max_tokens", 6}, {"temperature", 0}});
  const json& plain = r2["choices"][0];
  CHECK(plain["text"] == gen.text);
  check_shape(plain["logprobs"], gen.text, code_points(prompt));
  REQUIRE(plain["logprobs"]["token_logprobs"].size() == generated);
  CHECK(std::abs(plain["logprobs"]["token_logprobs"][0].get<double>() -
                 lp.logprob[g.prompt.size()]) < 1e-9);
}

TEST_CASE("serve: chat logprobs and top_logprobs as OpenAI's content list", "[serve]") {
  json r =
      serve_post("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                                          {"max_tokens", 5},
                                          {"temperature", 0},
                                          {"logprobs", true},
                                          {"top_logprobs", 3}});
  INFO(r.dump());
  const json& c = r["choices"][0];
  const json& content = c["logprobs"]["content"];
  CHECK(content.size() <= r["usage"]["completion_tokens"].get<size_t>());
  std::string bytes;
  for (const json& t : content) {
    REQUIRE(t["top_logprobs"].size() == 3);
    // Greedy: the chosen token is the first alternative, best first.
    CHECK(t["top_logprobs"][0]["bytes"] == t["bytes"]);
    CHECK(std::abs(t["top_logprobs"][0]["logprob"].get<double>() - t["logprob"].get<double>()) <
          1e-9);
    CHECK(t["top_logprobs"][1]["logprob"] <= t["top_logprobs"][0]["logprob"]);
    for (const json& b : t["bytes"]) bytes.push_back(static_cast<char>(b.get<int>()));
  }
  // The tokens' bytes are the answer's, unless the random model's bytes are not UTF-8 (then the
  // answer shows U+FFFD where the bytes hold what was generated).
  const std::string answer = c["message"]["content"];
  if (answer.find("\xef\xbf\xbd") == std::string::npos) CHECK(bytes == answer);
  r = serve_post("/v1/chat/completions",
                 {{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"max_tokens", 2}});
  CHECK(r["choices"][0]["logprobs"].is_null());
}

TEST_CASE("serve: echo and logprobs outside what it implements are 400 naming the parameter",
          "[serve]") {
  const json chat_msgs = {{{"role", "user"}, {"content", "x"}}};
  const std::vector<std::tuple<std::string, json, std::string>> cases = {
      {"/v1/completions", {{"prompt", "x"}, {"logprobs", 6}}, "logprobs"},
      {"/v1/completions", {{"prompt", "x"}, {"logprobs", true}}, "logprobs"},
      {"/v1/completions", {{"prompt", "x"}, {"max_tokens", 0}}, "max_tokens"},
      {"/v1/completions", {{"prompt", "x"}, {"echo", true}, {"max_tokens", -1}}, "max_tokens"},
      {"/v1/completions", {{"prompt", "x"}, {"echo", true}, {"stream", true}}, "echo"},
      {"/v1/completions", {{"prompt", "x"}, {"logprobs", 1}, {"stream", true}}, "logprobs"},
      {"/v1/chat/completions", {{"messages", chat_msgs}, {"echo", true}}, "echo"},
      {"/v1/chat/completions", {{"messages", chat_msgs}, {"top_logprobs", 2}}, "top_logprobs"},
      {"/v1/chat/completions",
       {{"messages", chat_msgs}, {"logprobs", true}, {"top_logprobs", 21}},
       "top_logprobs"},
      {"/v1/chat/completions",
       {{"messages", chat_msgs}, {"logprobs", true}, {"stream", true}},
       "logprobs"}};
  for (const auto& [path, body, param] : cases) {
    int status = 0;
    json e = serve_post(path, body, &status);
    INFO(path << " " << body.dump() << " -> " << e.dump());
    CHECK(status == 400);
    CHECK(e["error"]["param"] == param);
  }
}

TEST_CASE("serve: prompt_logprobs does not depend on the step size", "[serve]") {
  std::unique_ptr<BuiltinModel> whole = load_model();
  GenerateLimits small;
  small.max_active = 2;
  small.max_step_tokens = 5;  // the sequence runs in steps of 5 positions
  std::unique_ptr<BuiltinModel> stepped = load_model(small);
  const std::vector<int> ids =
      whole->encode_text("The quick brown fox jumps over the lazy dog, twice over.", false);
  REQUIRE(ids.size() > 11);
  const TokenLogprobs a = whole->prompt_logprobs(ids, 3), b = stepped->prompt_logprobs(ids, 3);
  CHECK(std::isnan(a.logprob[0]));
  CHECK(a.top[0].empty());
  for (size_t i = 1; i < ids.size(); ++i) {
    CHECK(std::abs(a.logprob[i] - b.logprob[i]) < 1e-4);
    REQUIRE(a.top[i].size() == 3);
    CHECK(a.top[i][0].second >= a.top[i][1].second);
    CHECK(a.top[i][1].second >= a.top[i][2].second);
    CHECK(a.logprob[i] <= a.top[i][0].second + 1e-12);
  }
  CHECK_THROWS(whole->prompt_logprobs({}, 1));
  CHECK_THROWS(whole->prompt_logprobs({whole->config().vocab_size}, 1));
}

TEST_CASE("serve: api:local with prompt_logprobs scores choice suites as the builtin backend",
          "[serve]") {
  ServeProcess& server = ServeProcess::get();
  const fs::path results = server.dir() / "api-local";
  const std::string suites =
      " --suites arc_challenge,mmlu,ceval --samples --no-progress --no-cache"
      " --results-dir '" +
      results.string() + "'";
  CommandResult api = run_command(
      moebench_bin() + " run --backend api:local --backend-opt base_url=http://127.0.0.1:" +
          std::to_string(server.port()) +
          "/v1 --backend-opt model=tiny-qwen3 --backend-opt prompt_logprobs=1 --run-id api" +
          suites,
      server.dir());
  INFO(api.output);
  REQUIRE(api.exit_code == 0);
  CommandResult builtin =
      run_command(moebench_bin() + " run --backend builtin:'" + server.model_dir().string() +
                      "' --run-id builtin" + suites,
                  server.dir());
  INFO(builtin.output);
  REQUIRE(builtin.exit_code == 0);
  std::map<std::string, json> want;
  for (const std::string& line : read_lines(results / "builtin" / "samples.jsonl")) {
    json s = json::parse(line);
    want[s["suite"].get<std::string>() + "/" + s["doc_id"].get<std::string>()] = s;
  }
  size_t compared = 0;
  for (const std::string& line : read_lines(results / "api" / "samples.jsonl")) {
    const json s = json::parse(line);
    const json& b = want.at(s["suite"].get<std::string>() + "/" + s["doc_id"].get<std::string>());
    INFO(s["suite"] << " " << s["doc_id"]);
    CHECK(s["error"].is_null());
    CHECK(s["scored_by"] == "loglikelihood");
    REQUIRE(s["logliks"].size() == b["logliks"].size());
    for (size_t i = 0; i < b["logliks"].size(); ++i) {
      CHECK(std::abs(s["logliks"][i].get<double>() - b["logliks"][i].get<double>()) < 1e-3);
    }
    CHECK(s["metrics"] == b["metrics"]);
    ++compared;
  }
  CHECK(compared >= 10);
}
