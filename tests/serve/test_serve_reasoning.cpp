// Reasoning models through `moebench serve`: a tiny deepseek_v3 checkpoint with R1's chat template
// (its generation prompt opens "<think>"). The thinking comes back apart as reasoning_content (as
// DeepSeek's API returns it), in whole responses and in streams alike, counted in
// usage.completion_tokens_details.reasoning_tokens; a stop string inside the thinking does not
// fire (the same text as /v1/completions, where it does); thinking the model closes itself leaves
// the rest as content, where stops fire; and `moebench run` against the server flags thinking cut
// by the token limit as truncated_thinking, with the same thinking as the builtin backend's.
#include <cctype>
#include <map>

#include "tests/catch.h"
#include "tests/serve/serve_harness.h"

using namespace moebench::testing;
using nlohmann::json;

namespace {

// NOTE: seed 0 unless extra gives one: answers of the routes are compared, and a request without
// a seed samples from fresh randomness.
json chat(const std::string& question, int max_tokens, json extra = json::object()) {
  json body = {{"model", "tiny-r1"},
               {"messages", {{{"role", "user"}, {"content", question}}}},
               {"max_tokens", max_tokens},
               {"seed", 0}};
  body.update(extra);
  int status = 0;
  json out = serve_post("/v1/chat/completions", body, &status, ServeProcess::r1());
  INFO(out.dump());
  REQUIRE(status == 200);
  return out;
}

// A stream's deltas joined: {reasoning, content, finish_reason, usage}.
json chat_stream(const std::string& question, int max_tokens, json extra = json::object()) {
  json body = {
      {"model", "tiny-r1"},       {"messages", {{{"role", "user"}, {"content", question}}}},
      {"max_tokens", max_tokens}, {"seed", 0},
      {"stream", true},           {"stream_options", {{"include_usage", true}}}};
  body.update(extra);
  auto res = serve_client(ServeProcess::r1())
                 .Post("/v1/chat/completions", body.dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  json out = {{"reasoning", ""}, {"content", ""}, {"finish_reason", nullptr}, {"usage", nullptr}};
  std::istringstream lines(res->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("data: {", 0) != 0) continue;
    const json chunk = json::parse(line.substr(6));
    if (chunk.contains("usage") && !chunk["usage"].is_null()) out["usage"] = chunk["usage"];
    for (const json& c : chunk["choices"]) {
      const json& d = c["delta"];
      if (d.contains("reasoning_content")) {
        out["reasoning"] =
            out["reasoning"].get<std::string>() + d["reasoning_content"].get<std::string>();
      }
      if (d.contains("content")) {
        out["content"] = out["content"].get<std::string>() + d["content"].get<std::string>();
      }
      if (!c["finish_reason"].is_null()) out["finish_reason"] = c["finish_reason"];
    }
  }
  return out;
}

// Two ASCII letters or digits in a row at or after `from` (a stop string to plant), or "".
std::string ascii_pair(const std::string& text, size_t from) {
  auto plain = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (size_t i = from; i + 1 < text.size(); ++i) {
    if (plain(text[i]) && plain(text[i + 1])) return text.substr(i, 2);
  }
  return "";
}

}  // namespace

TEST_CASE("serve: R1's template opens the thinking, it comes back apart and stops wait for its end",
          "[serve][thinking]") {
  const json whole = chat("What is 2+2?", 24);
  const json& c = whole["choices"][0];
  const std::string reasoning = c["message"]["reasoning_content"].get<std::string>();
  CHECK(c["finish_reason"] == "length");
  CHECK(c["message"]["content"] == "");  // cut while thinking: no answer
  CHECK(!reasoning.empty());
  CHECK(whole["usage"]["completion_tokens"] == 24);
  CHECK(whole["usage"]["completion_tokens_details"]["reasoning_tokens"] == 24);

  // The raw text, as /v1/completions gives it for the same rendered prompt, is the thinking.
  const json raw_body = {
      {"model", "tiny-r1"},
      {"prompt", "<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜><think>\n"},
      {"max_tokens", 24},
      {"seed", 0}};
  int status = 0;
  const json raw = serve_post("/v1/completions", raw_body, &status, ServeProcess::r1());
  REQUIRE(status == 200);
  CHECK(raw["choices"][0]["text"] == reasoning);

  // A stop string found in the thinking: the completion stops there, the chat does not.
  const std::string stop = ascii_pair(reasoning, reasoning.size() / 3);
  REQUIRE(!stop.empty());
  json stopped_body = raw_body;
  stopped_body["stop"] = {stop};
  const json cut = serve_post("/v1/completions", stopped_body, &status, ServeProcess::r1());
  CHECK(cut["choices"][0]["finish_reason"] == "stop");
  CHECK(cut["choices"][0]["text"].get<std::string>().size() < reasoning.size());
  const json kept = chat("What is 2+2?", 24, {{"stop", {stop}}});
  CHECK(kept["choices"][0]["message"]["reasoning_content"] == reasoning);
  CHECK(kept["choices"][0]["finish_reason"] == "length");

  // A stream splits the same way, a tag never cut between deltas.
  const json streamed = chat_stream("What is 2+2?", 24);
  CHECK(streamed["reasoning"] == reasoning);
  CHECK(streamed["content"] == "");
  CHECK(streamed["finish_reason"] == "length");
  CHECK(streamed["usage"]["completion_tokens_details"]["reasoning_tokens"] == 24);
}

TEST_CASE("serve: thinking the model closes itself leaves the rest as content, where stops fire",
          "[serve][thinking]") {
  // Sampled at temperature 1, some seed's generation emits "</think>" (an added token of R1's
  // tokenizer) within 300 tokens, then ASCII text to plant a stop in; the seeds are fixed, so
  // the search is too.
  json found;
  int seed = 0;
  for (int s = 1; s <= 40 && found.is_null(); ++s) {
    const json r = chat("What is 2+2?", 300, {{"temperature", 1.0}, {"seed", s}});
    const json& m = r["choices"][0]["message"];
    if (!ascii_pair(m["content"].get<std::string>(), 0).empty()) found = r, seed = s;
  }
  REQUIRE(!found.is_null());
  INFO("seed " << seed);
  const json& m = found["choices"][0]["message"];
  const std::string content = m["content"].get<std::string>();
  const long thinking = found["usage"]["completion_tokens_details"]["reasoning_tokens"];
  CHECK(thinking > 0);
  CHECK(thinking < found["usage"]["completion_tokens"].get<long>());
  CHECK(content.find("</think>") == std::string::npos);
  CHECK(m["reasoning_content"].get<std::string>().find("</think>") == std::string::npos);

  const json sampled = {{"temperature", 1.0}, {"seed", seed}};
  const json streamed = chat_stream("What is 2+2?", 300, sampled);
  CHECK(streamed["reasoning"] == m["reasoning_content"]);
  CHECK(streamed["content"] == content);

  // A stop string from the content cuts the content; the thinking before it is whole.
  const std::string stop = ascii_pair(content, 0);
  {
    json with_stop = sampled;
    with_stop["stop"] = {stop};
    const json cut = chat("What is 2+2?", 300, with_stop);
    CHECK(cut["choices"][0]["finish_reason"] == "stop");
    CHECK(cut["choices"][0]["message"]["reasoning_content"] == m["reasoning_content"]);
    CHECK(content.rfind(cut["choices"][0]["message"]["content"].get<std::string>(), 0) == 0);
    CHECK(cut["choices"][0]["message"]["content"].get<std::string>().find(stop) ==
          std::string::npos);
  }
}

TEST_CASE("serve: moebench run against it counts the thinking and flags it truncated",
          "[serve][thinking]") {
  ServeProcess& server = ServeProcess::r1();
  const fs::path results = server.dir() / "api-r1";
  const std::string base =
      moebench_bin() + " run --backend api:local --backend-opt base_url=http://127.0.0.1:" +
      std::to_string(server.port()) +
      "/v1 --backend-opt model=tiny-r1 --suites gsm8k@chat,mmlu@chat --samples --limit 2 "
      "--gen-kwargs max_gen_toks=16 --no-progress --no-cache --max-error-rate 1 --results-dir '" +
      results.string() + "'";
  for (const char* stream : {"false", "true"}) {
    INFO("stream " << stream);
    const std::string id = std::string("stream-") + stream;
    CommandResult r =
        run_command(base + " --backend-opt stream=" + stream + " --run-id " + id, server.dir());
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(r.output.find("warning: gsm8k@chat: 2 of 2 documents stopped while thinking") !=
          std::string::npos);
    const json rj = json::parse(read_file(results / id / "run.json"));
    // --limit 2: gsm8k's first 2, mmlu's first 2 of each of its 2 sample subjects.
    for (const auto& [suite, n] : {std::pair{"gsm8k@chat", 2}, std::pair{"mmlu@chat", 4}}) {
      const json& t = rj["suites"][suite]["thinking"];
      CHECK(t["samples"] == n);
      CHECK(t["truncated"] == n);
      CHECK(t["reasoning_tokens"] == n * 16);
    }
    for (const std::string& line : read_lines(results / id / "samples.jsonl")) {
      const json s = json::parse(line);
      CHECK(s["truncated_thinking"] == true);
      CHECK(s["responses"][0] == "");
    }
  }
  // The builtin backend on the same checkpoint thinks the same thoughts (greedy, same engine).
  const std::string builtin_run =
      moebench_bin() + " run --backend builtin:'" + server.model_dir().string() +
      "' --suites gsm8k@chat,mmlu@chat --samples --limit 2 --gen-kwargs max_gen_toks=16 "
      "--no-progress --no-cache --max-error-rate 1 --run-id builtin --results-dir '" +
      results.string() + "'";
  CommandResult b = run_command(builtin_run, server.dir());
  INFO(b.output);
  REQUIRE(b.exit_code == 0);
  std::map<std::string, json> api;
  for (const std::string& line : read_lines(results / "stream-false" / "samples.jsonl")) {
    const json s = json::parse(line);
    api[s["suite"].get<std::string>() + "/" + s["doc_id"].get<std::string>()] = s;
  }
  size_t compared = 0;
  for (const std::string& line : read_lines(results / "builtin" / "samples.jsonl")) {
    const json s = json::parse(line);
    const json& a = api.at(s["suite"].get<std::string>() + "/" + s["doc_id"].get<std::string>());
    CHECK(s["truncated_thinking"] == true);
    CHECK(s["reasoning"] == a["reasoning"]);
    ++compared;
  }
  CHECK(compared == 6);  // 2 gsm8k, 2 of each of mmlu's 2 sample subjects
}
