// The replay backend serves what a run recorded, not only its texts (reviewer 83, F6 and F7): a
// rescore lost every finish reason, turned a content_filter failure into "not_found: no recorded
// response", and asked chat-form suites in completion form.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "backends/error_type.h"
#include "backends/validation/replay.h"
#include "common/error.h"
#include "tests/catch.h"

namespace fs = std::filesystem;
using moebench::ReplayBackend;

namespace {

fs::path write_recorded(const std::string& name, const std::string& text) {
  const fs::path dir =
      fs::temp_directory_path() / ("moebench_replay_rec_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / name) << text;
  return dir / name;
}

moebench::Request request(const std::string& suite, const std::string& doc) {
  moebench::Request r;
  r.suite = suite;
  r.doc_id = doc;
  return r;
}

}  // namespace

TEST_CASE("replay: a recorded sample keeps its finish reasons") {
  const fs::path f =
      write_recorded("len.jsonl",
                     "{\"suite\": \"gsm8k\", \"doc_id\": \"test/0\", \"responses\": [\"The ans\"], "
                     "\"finish_reasons\": [\"length\"], \"error\": null}\n");
  ReplayBackend replay(f);
  const auto out = replay.run({request("gsm8k", "test/0")});
  REQUIRE(out.size() == 1);
  CHECK(out[0].finish_reasons == std::vector<std::string>{"length"});
  fs::remove_all(f.parent_path());
}

TEST_CASE("replay: a failed sample fails again with its recorded type and message") {
  const fs::path f = write_recorded(
      "cf.jsonl",
      "{\"suite\": \"gsm8k\", \"doc_id\": \"test/1\", \"responses\": [], "
      "\"finish_reasons\": [\"content_filter\"], "
      "\"error\": {\"type\": \"content_filter\", \"message\": \"withheld by the provider\"}}\n"
      "{\"suite\": \"gsm8k\", \"doc_id\": \"test/2\", \"responses\": [\"42\"], "
      "\"error\": {\"type\": \"scoring\", \"message\": \"the filter failed\"}}\n");
  ReplayBackend replay(f);
  const auto out = replay.run({request("gsm8k", "test/1"), request("gsm8k", "test/2")});
  REQUIRE(out.size() == 2);
  REQUIRE(out[0].error.has_value());
  CHECK(moebench::error_type_name(out[0].error->type) == std::string("content_filter"));
  CHECK(out[0].error->message == "withheld by the provider");
  CHECK(out[0].finish_reasons == std::vector<std::string>{"content_filter"});
  // A scoring failure is the scorer's, not the answer's: its response is scored again.
  CHECK_FALSE(out[1].error.has_value());
  CHECK(out[1].texts == std::vector<std::string>{"42"});
  fs::remove_all(f.parent_path());
}

TEST_CASE("replay: an unknown recorded error type names the line and field") {
  const fs::path f = write_recorded(
      "bad.jsonl",
      "{\"suite\": \"gsm8k\", \"doc_id\": \"test/1\", \"error\": {\"type\": \"nope\"}}\n");
  try {
    ReplayBackend replay(f);
    FAIL("accepted an unknown error type");
  } catch (const moebench::InputError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("bad.jsonl:1") != std::string::npos);
    CHECK(what.find("error.type") != std::string::npos);
  }
  fs::remove_all(f.parent_path());
}

// A run that sent chat messages only (a chat-only API) is replayed as a chat-only backend, so
// the rescore asks and records the suites in the chat form the run used.
TEST_CASE("replay: a file whose every prompt is chat messages is a chat-only backend") {
  const fs::path chat =
      write_recorded("chat.jsonl",
                     "{\"suite\": \"mmlu\", \"doc_id\": \"t/0\", \"prompt\": [{\"role\": \"user\", "
                     "\"content\": \"Q\"}], \"responses\": [\"A\"]}\n");
  CHECK(ReplayBackend(chat).info().chat);
  CHECK_FALSE(ReplayBackend(chat).info().completion);
  const fs::path mixed =
      write_recorded("mixed.jsonl",
                     "{\"suite\": \"mmlu\", \"doc_id\": \"t/0\", \"prompt\": [{\"role\": \"user\", "
                     "\"content\": \"Q\"}], \"responses\": [\"A\"]}\n"
                     "{\"suite\": \"gsm8k\", \"doc_id\": \"t/0\", \"prompt\": \"Q: 1+1\", "
                     "\"responses\": [\"2\"]}\n");
  CHECK(ReplayBackend(mixed).info().completion);
  const fs::path plain = write_recorded("plain.jsonl", "{\"id\": 7, \"response\": \"B\"}\n");
  CHECK(ReplayBackend(plain).info().completion);
  fs::remove_all(chat.parent_path());
}
