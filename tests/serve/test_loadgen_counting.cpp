// What `moebench loadgen` counts, against the in-process fake server: a request's wait in the
// client for an in-flight slot, its tokens without a usage chunk, and warm-up prompts apart from
// the measured ones. No assertion depends on how fast the machine is: they compare times that are
// ordered by construction.
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "backends/builtin/tokenizer/tokenizer.h"
#include "harness/loadgen/loadgen_run.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"
#include "tests/serve/loadgen_fake_server.h"

using namespace moebench;
using namespace moebench::testing;
using json = nlohmann::json;

// vLLM without --max-concurrency starts a request's clock before its connection is made, so a wait
// for a connection counts in its TTFT; loadgen's cap there is its worker count, and a request that
// waits for a worker has waited in the client as well.
TEST_CASE("loadgen: without --max-concurrency a request queued in the client counts its wait",
          "[loadgen]") {
  FakeServer server;
  LoadgenOptions o = server.options("m");
  o.max_workers = 1;  // the cap without --max-concurrency, made small
  // Both arrive at 0 (rate inf); "hold" takes the one worker and "b" waits for it to finish.
  const LoadgenResult r = loadgen_run(o, {prompt("hold", 4), prompt("b", 4)});
  REQUIRE(r.summary.completed == 2);
  const RequestRecord& held = r.records[0];
  const RequestRecord& waited = r.records[1];
  CHECK(!held.queued);
  CHECK(waited.queued);
  CHECK(waited.arrival_s == held.arrival_s);
  // "b" was sent after "hold" ended, and its clock started when both arrived.
  CHECK(waited.send_s >= held.send_s);
  CHECK(waited.ttft_s >= held.e2el_s);
  CHECK(waited.ttft_s >= waited.send_s - waited.arrival_s);
  CHECK(waited.e2el_s >= waited.ttft_s);
  CHECK(r.summary.queued == 1);
  json j = loadgen_result_json(o, r);
  CHECK(j["config"]["in_flight_cap"] == 1);
  CHECK(j["config"]["latency_from"] == "arrival");
  CHECK(j["summary"]["queued_requests"] == 1);
  CHECK(j["requests"][1]["queued"] == true);
  const std::string table = loadgen_format_table(r.summary);
  INFO(table);
  CHECK(table.find("note: 1 request(s) waited in the client for a free worker (no "
                   "--max-concurrency: at most 1 in flight): their TTFT and E2EL count from the "
                   "scheduled arrival") != std::string::npos);
}

// With --max-concurrency vLLM takes its semaphore before the request's clock starts, so the wait
// for a slot is left out; loadgen says how many waited.
TEST_CASE("loadgen: with --max-concurrency a queued request's clock starts when it is sent",
          "[loadgen]") {
  FakeServer server;
  LoadgenOptions o = server.options("m");
  o.max_concurrency = 1;
  const LoadgenResult r = loadgen_run(o, {prompt("hold", 4), prompt("b", 4)});
  REQUIRE(r.summary.completed == 2);
  CHECK(r.records[1].queued);
  CHECK(r.summary.queued == 1);
  json j = loadgen_result_json(o, r);
  CHECK(j["config"]["in_flight_cap"] == 1);
  CHECK(j["config"]["latency_from"] == "send");
  const std::string table = loadgen_format_table(r.summary);
  INFO(table);
  CHECK(table.find("note: 1 request(s) waited in the client for a free slot (--max-concurrency "
                   "1): their TTFT and E2EL start when sent") != std::string::npos);
}

namespace {

// A tokenizer of whitespace-separated words, enough to tell tokens from chunks.
long count_words(const std::string& text) {
  long n = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n';
    n += !space && !in_word;
    in_word = !space;
  }
  return n;
}

}  // namespace

// A chunk can carry several tokens, so vLLM's benchmark re-tokenizes the generated text when the
// server reports no usage, and takes the input tokens from the prompt's length.
TEST_CASE("loadgen: without a usage chunk a tokenizer counts the tokens", "[loadgen]") {
  FakeServer server;
  LoadgenOptions o = server.options("no_usage");
  o.count_tokens = count_words;
  LoadgenResult r = loadgen_run(o, {prompt("a b c d e", 32)});
  const RequestRecord& rec = r.records[0];
  INFO(rec.error_type << ": " << rec.error_message);
  REQUIRE(rec.ok);
  CHECK(rec.itl_s.size() == 3);  // four chunks
  CHECK(rec.output_tokens == 16);
  CHECK(rec.input_tokens == 5);
  CHECK(r.summary.output_tokens == 16);
  CHECK(r.summary.input_tokens == 5);
  json j = loadgen_result_json(o, r);
  CHECK(j["requests"][0]["token_source"] == "tokenizer");
  CHECK(j["summary"]["token_sources"] == json({{"usage", 0}, {"tokenizer", 1}, {"chunks", 0}}));
  std::string table = loadgen_format_table(r.summary);
  INFO(table);
  CHECK(table.find("note: 1 request(s) sent no usage chunk: their tokens are counted with "
                   "--tokenizer") != std::string::npos);

  // Without a tokenizer the counts are chunk counts and the input is not counted: said plainly.
  o.count_tokens = nullptr;
  r = loadgen_run(o, {prompt("a b c d e", 32)});
  CHECK(r.records[0].output_tokens == 4);
  CHECK(r.records[0].input_tokens == 0);
  j = loadgen_result_json(o, r);
  CHECK(j["requests"][0]["token_source"] == "chunks");
  CHECK(j["summary"]["token_sources"] == json({{"usage", 0}, {"tokenizer", 0}, {"chunks", 1}}));
  table = loadgen_format_table(r.summary);
  CHECK(table.find("note: 1 request(s) sent no usage chunk and loadgen has no --tokenizer: their "
                   "output tokens are content chunk counts (a chunk can carry several tokens) "
                   "and their input tokens are not counted") != std::string::npos);
}

// The CLI's --tokenizer: a tokenizer.json (or a model directory holding one) counts what a server
// without usage leaves uncounted.
TEST_CASE("loadgen: --tokenizer counts generated text and prompts", "[loadgen]") {
  FakeServer server;
  const fs::path dir = temp_dir("loadgen-tokenizer");
  const nlohmann::json tok_json =
      tokenizer_make_bytelevel_bpe(300, {}, "one two three four the of and to in is was for");
  {
    std::ofstream f(dir / "tokenizer.json");
    f << tok_json.dump();
  }
  const Tokenizer tok = Tokenizer::from_json(tok_json, "test");
  std::string generated;  // the no_usage stream's four chunks
  for (int c = 0; c < 4; ++c) generated += "one two three four ";
  const fs::path out = dir / "run.json";
  CommandResult r =
      run_command(moebench_bin() + " loadgen --base-url " + server.options("m").target.base_url +
                      " --model no_usage --num-prompts 2 --input-len 8 --len-spread 0"
                      " --no-progress --tokenizer '" +
                      dir.string() + "' --json '" + out.string() + "'",
                  dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(read_file(out));
  long in_sum = 0;
  for (const json& q : j["requests"]) {
    CHECK(q["token_source"] == "tokenizer");
    const long in = static_cast<long>(tok.encode(q["prompt"].get<std::string>()).size());
    CHECK(q["input_tokens"] == in);
    CHECK(q["output_tokens"] == tok.encode(generated).size());
    CHECK(q["output_tokens"] > 4);  // more than the four chunks
    in_sum += in;
  }
  CHECK(j["summary"]["total_input_tokens"] == in_sum);
  CHECK(j["config"]["tokenizer"] == (dir / "tokenizer.json").string());

  const std::string missing = (dir / "none").string();
  CommandResult bad = run_command(
      moebench_bin() + " loadgen --model m --no-progress --tokenizer '" + missing + "'", dir);
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("--tokenizer '" + missing + "': no tokenizer.json there") !=
        std::string::npos);
}

namespace {

// The user messages of a --json report's measured requests.
std::vector<std::string> measured_prompts(const fs::path& report) {
  const json j = json::parse(read_file(report));
  std::vector<std::string> out;
  for (const json& q : j["requests"]) out.push_back(q["prompt"]);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

// A server with automatic prefix caching (vLLM V1's default) keeps a warm-up request's prompt, so
// a measured request with the same prompt would skip its prefill and report a low TTFT.
TEST_CASE("loadgen: warm-up prompts are none of the measured prompts", "[loadgen]") {
  const fs::path dir = temp_dir("loadgen-warmup");
  const fs::path out = dir / "run.json";
  {
    FakeServer server;
    CommandResult r = run_command(
        moebench_bin() + " loadgen --base-url " + server.options("m").target.base_url +
            " --model m --num-prompts 4 --warmup 2 --input-len 8 --no-progress --json '" +
            out.string() + "'",
        dir);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const std::vector<std::string> sent = server.contents(), measured = measured_prompts(out);
    REQUIRE(sent.size() == 6);  // the warm-up's two, all done before the measured four
    for (int i = 0; i < 2; ++i) CHECK(!contains(measured, sent[i]));
  }
  // A suite: the warm-up takes a document the run does not measure (gsm8k's samples have 3).
  {
    FakeServer server;
    CommandResult r = run_command(
        moebench_bin() + " loadgen --base-url " + server.options("m").target.base_url +
            " --model m --suite gsm8k --samples --num-prompts 2 --warmup 1 --output-len 4"
            " --no-progress --json '" +
            out.string() + "'",
        dir);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(r.output.find("warning") == std::string::npos);
    const std::vector<std::string> sent = server.contents(), measured = measured_prompts(out);
    REQUIRE(sent.size() == 3);
    CHECK(sent[0].rfind("Question:", 0) == 0);
    CHECK(!contains(measured, sent[0]));
  }
}

// More requests than a suite has documents repeat prompts: a prefix-cache hit each, said with the
// counts; the warm-up, with no document left, sends random prompts and says so.
TEST_CASE("loadgen: a suite cycled past its documents warns with the counts", "[loadgen]") {
  const fs::path dir = temp_dir("loadgen-cycle");
  const fs::path out = dir / "run.json";
  FakeServer server;
  CommandResult r =
      run_command(moebench_bin() + " loadgen --base-url " + server.options("m").target.base_url +
                      " --model m --suite gsm8k --samples --num-prompts 5 --warmup 1 --output-len 4"
                      " --no-progress --json '" +
                      out.string() + "'",
                  dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("loadgen: warning: the 5 requests send 3 distinct prompts: 2 repeat an "
                      "earlier one") != std::string::npos);
  CHECK(r.output.find("loadgen: warning: --warmup 1: every prompt of the suite is measured; the "
                      "warm-up sends 1 random prompt(s)") != std::string::npos);
  const std::vector<std::string> sent = server.contents(), measured = measured_prompts(out);
  REQUIRE(sent.size() == 6);
  CHECK(!contains(measured, sent[0]));
}
