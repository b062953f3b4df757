// The replay backend's file reader: recorded responses keyed by (suite, doc id), and one-line
// InputErrors naming file:line for lines it cannot use.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "backends/validation/replay.h"
#include "tests/catch.h"
#include "tests/input_error_of.h"

namespace fs = std::filesystem;
using moebench::ReplayBackend;
using moebench::testing::input_error_of;

namespace {

fs::path write_replay(const std::string& name, const std::string& text) {
  const fs::path dir =
      fs::temp_directory_path() / ("moebench_replay_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / name) << text;
  return dir / name;
}

}  // namespace

TEST_CASE("replay: samples.jsonl and {id, response} lines are served by suite and doc id") {
  const fs::path f =
      write_replay("ok.jsonl",
                   "{\"suite\": \"gsm8k\", \"doc_id\": \"test/0\", \"responses\": [\"72\"]}\n\n"
                   "{\"id\": 7, \"response\": \"B\"}\n"
                   "{\"suite\": null, \"doc_id\": \"x\", \"logliks\": [-1.5, null]}\n");
  ReplayBackend replay(f);
  CHECK(replay.size() == 3);
  moebench::Request a, b;
  a.suite = "gsm8k";
  a.doc_id = "test/0";
  b.suite = "mmlu";
  b.doc_id = "7";
  const auto out = replay.run({a, b});
  REQUIRE(out.size() == 2);
  CHECK(out[0].texts == std::vector<std::string>{"72"});
  CHECK(out[1].texts == std::vector<std::string>{"B"});
  moebench::Request c;
  c.doc_id = "x";
  const auto scored = replay.run({c});
  REQUIRE(scored[0].logliks.size() == 2);
  CHECK(scored[0].logliks[0] == -1.5);
  CHECK(std::isinf(scored[0].logliks[1]));  // written as null
  fs::remove_all(f.parent_path());
}

// Found by tests/fuzz/replay.cpp: a suite or loglik of the wrong type escaped as nlohmann's
// type_error (an internal error) instead of an InputError naming the line.
TEST_CASE("replay: a field of the wrong type is an InputError naming file:line and the field") {
  const std::pair<const char*, const char*> cases[] = {
      {"{\"doc_id\": \"test/0\", \"suite\": 1, \"response\": \"x\"}", "field 'suite'"},
      {"{\"doc_id\": \"test/0\", \"logliks\": [\"a\"]}", "field 'logliks'"},
      {"{\"doc_id\": \"test/0\", \"logliks\": \"-1.5\"}", "field 'logliks'"},
  };
  for (const auto& [line, field] : cases) {
    INFO(line);
    const fs::path f =
        write_replay("bad.jsonl", std::string("{\"id\": 1, \"response\": \"A\"}\n") + line);
    const std::string message = input_error_of([&] { ReplayBackend replay(f); });
    CHECK(message.find("bad.jsonl:2: ") != std::string::npos);
    CHECK(message.find(field) != std::string::npos);
  }
  fs::remove_all(fs::temp_directory_path() / ("moebench_replay_" + std::to_string(::getpid())));
}

// f6a2c01: "repeat": 99999999999 overflowed get<int>() and died of std::bad_alloc (exit 1).
TEST_CASE("replay: a repeat out of range is an InputError naming file:line and the field") {
  for (const char* repeat : {"99999999999", "1000", "-1", "1.5", "\"2\""}) {
    INFO(repeat);
    const fs::path f =
        write_replay("repeat.jsonl",
                     "{\"id\": 1, \"response\": \"A\"}\n{\"id\": 2, \"response\": \"B\", "
                     "\"repeat\": " +
                         std::string(repeat) + "}\n");
    const std::string message = input_error_of([&] { ReplayBackend replay(f); });
    CHECK(message.find("repeat.jsonl:2: field 'repeat' must be an integer in [0, 1000)") !=
          std::string::npos);
  }
  const fs::path f =
      write_replay("repeat.jsonl", "{\"id\": 1, \"response\": \"A\", \"repeat\": 999}\n");
  CHECK(ReplayBackend(f).repeats() == 1000);
  fs::remove_all(f.parent_path());
}

// f6a2c01: the last of two answers to one (document, repeat) silently won.
TEST_CASE("replay: two records of one document and repeat name both lines and the id") {
  const fs::path f = write_replay(
      "twice.jsonl",
      "{\"suite\": \"gsm8k\", \"doc_id\": \"test/0\", \"responses\": [\"72\"]}\n"
      "{\"suite\": \"gsm8k\", \"doc_id\": \"test/0\", \"responses\": [\"7\"], \"repeat\": 1}\n"
      "{\"suite\": \"mmlu\", \"doc_id\": \"test/0\", \"responses\": [\"B\"]}\n\n"
      "{\"suite\": \"gsm8k\", \"doc_id\": \"test/0\", \"error\": {\"type\": \"timeout\"}}\n");
  const std::string message = input_error_of([&] { ReplayBackend replay(f); });
  CHECK(message.find("twice.jsonl:5: ") != std::string::npos);
  CHECK(message.find("'test/0'") != std::string::npos);
  CHECK(message.find("line 1") != std::string::npos);
  fs::remove_all(f.parent_path());
}

// Reviewer 84, F3: 10 answers under a spec drawing 1 were served and scored as 10 samples.
TEST_CASE("replay: more answers than the request's n_samples name file:line and both counts") {
  const fs::path f = write_replay(
      "n.jsonl",
      "{\"suite\": \"humaneval\", \"doc_id\": \"HumanEval/0\", \"responses\": [\"a\"]}\n"
      "{\"suite\": \"humaneval\", \"doc_id\": \"HumanEval/1\", \"responses\": [\"a\", \"b\", "
      "\"c\"], \"repeat\": 1}\n");
  ReplayBackend replay(f);
  moebench::Request one, three;
  one.suite = three.suite = "humaneval";
  one.doc_id = "HumanEval/0";
  three.doc_id = "HumanEval/1";
  three.repeat = 1;
  const std::string message = input_error_of([&] { replay.run({one, three}); });
  CHECK(message == f.string() +
                       ":2: humaneval document 'HumanEval/1' repeat 1 has 3 answers; the suite "
                       "asks 1 (generation.n_samples); to score them as 3 samples, pass "
                       "--gen-kwargs n=3 (and temperature=T, the one they were drawn at)");
  three.generation.n_samples = 3;
  CHECK(replay.run({one, three})[1].texts.size() == 3);
  one.generation.n_samples = 2;  // fewer answers than n are left to the metrics (pass@k)
  CHECK(replay.run({one})[0].texts.size() == 1);
  fs::remove_all(f.parent_path());
}
