// --include-path (lm-eval's --include_path): a suite directory whose suites and profiles add to the
// shipped ones (--tasks-dir replaces them). An added suite reads its own data/ and samples/, runs
// beside shipped suites, is listed, recorded in run.json and found again by rescore; a suite or
// profile name defined twice is a one-line error naming both files.
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using nlohmann::json;

namespace {

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

// <dir>/math/arith.json: GSM8K's spec under another name, 2-shot, over <dir>/data/arith (six
// sums) and <dir>/samples/arith (two); <dir>/profiles/terse.json sets it 0-shot.
fs::path added_suites(const fs::path& dir) {
  json spec = json::parse(read_file(fs::path(MOEBENCH_SOURCE_DIR) / "tasks/math/gsm8k.json"));
  spec["name"] = "arith";
  spec["description"] = "Sums of two numbers (a user's own suite)";
  spec["dataset"]["dir"] = "arith";
  spec["samples"] = "arith";
  spec["prompt"]["num_fewshot"] = 2;
  write(dir / "math" / "arith.json", spec.dump(1));
  std::string test, train;
  for (int i = 0; i < 6; ++i) {
    test += json{{"question", "What is " + std::to_string(i) + "+" + std::to_string(i + 1) + "?"},
                 {"answer", "#### " + std::to_string(2 * i + 1)}}
                .dump() +
            "\n";
  }
  for (int i = 0; i < 3; ++i) {
    train += json{{"question", "Exemplar: what is 1" + std::to_string(i) + "+1?"},
                  {"answer", "#### " + std::to_string(11 + i)}}
                 .dump() +
             "\n";
  }
  write(dir / "data" / "arith" / "test.jsonl", test);
  write(dir / "data" / "arith" / "train.jsonl", train);
  write(dir / "samples" / "arith" / "test.jsonl",
        test.substr(0, test.find('\n', test.find('\n') + 1) + 1));
  write(dir / "samples" / "arith" / "train.jsonl", train);
  write(
      dir / "profiles" / "terse.json",
      json{{"schema", 1},
           {"name", "terse"},
           {"version", "1"},
           {"description", "arith zero-shot"},
           {"source", "this test"},
           {"form", "auto"},
           {"suites",
            {{"arith", {{"notes", "no exemplars"}, {"set", {{"prompt", {{"num_fewshot", 0}}}}}}}}}}
          .dump());
  return dir;
}

}  // namespace

TEST_CASE("include-path: added suites and profiles run beside the shipped ones", "[runner][cli]") {
  const fs::path dir = temp_dir("include-path");
  const fs::path added = added_suites(dir / "mine");
  const std::string results = "--results-dir '" + (dir / "results").string() + "'";
  const std::string base = moebench_bin() + " run --backend oracle --no-progress " + results +
                           " --include-path '" + added.string() + "'";

  auto r = run_command(base + " --suites arith,arith@terse,gsm8k --limit 3 --run-id a", dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json rj = json::parse(read_file(dir / "results" / "a" / "run.json"));
  CHECK(rj["options"]["include_path"] == json::array({added.string()}));
  CHECK(rj["suites"]["arith"]["n_docs"] == 3);  // from mine/data/arith, not the data dir
  CHECK(rj["suites"]["arith"]["metrics"]["exact_match,strict-match"]["mean"] == 1.0);
  CHECK(rj["suites"]["arith@terse"]["profile"]["name"] == "terse");
  CHECK(rj["suites"]["gsm8k"]["n_docs"] == 3);  // shipped suites are still there
  size_t two_shot = 0, zero_shot = 0;
  for (const std::string& line : read_lines(dir / "results" / "a" / "samples.jsonl")) {
    const json s = json::parse(line);
    if (s["suite"] == "arith") two_shot += count_of(s["prompt"].dump(), "Exemplar:");
    if (s["suite"] == "arith@terse") zero_shot += count_of(s["prompt"].dump(), "Exemplar:");
  }
  CHECK(two_shot == 3 * 2);  // two exemplars per document
  CHECK(zero_shot == 0);

  auto samples = run_command(base + " --samples --suites arith --run-id s", dir);
  REQUIRE(samples.exit_code == 0);
  CHECK(json::parse(read_file(dir / "results" / "s" / "run.json"))["suites"]["arith"]["n_docs"] ==
        2);  // mine/samples/arith

  // rescore finds the added suite through the path the run recorded.
  auto again = run_command(
      moebench_bin() + " rescore '" + (dir / "results" / "a" / "samples.jsonl").string() +
          "' --no-progress --results-dir '" + (dir / "rescored").string() + "'",
      dir);
  INFO(again.output);
  CHECK(again.exit_code == 0);
  REQUIRE(run_dirs(dir / "rescored").size() == 1);
  CHECK(json::parse(read_file(run_dirs(dir / "rescored")[0] /
                              "run.json"))["suites"]["arith"]["n_docs"] == 3);

  auto list =
      run_command(moebench_bin() + " list --json --include-path '" + added.string() + "'", dir);
  REQUIRE(list.exit_code == 0);
  bool listed = false;
  const json listing = json::parse(list.output);
  for (const json& s : listing["suites"]) {
    if (s["name"] != "arith") continue;
    listed = true;
    CHECK(s["data"] == "included");
    CHECK(s["items"] == 6);
    CHECK(s["profiles"] == json::array({"lm-eval", "terse"}));
  }
  CHECK(listed);

  auto unknown = run_command(moebench_bin() + " run --backend oracle --no-progress " + results +
                                 " --suites arith --run-id u",
                             dir);
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.output.find("unknown suite 'arith'") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("include-path: a name defined twice or a missing dir is a one-line error",
          "[runner][cli]") {
  const fs::path dir = temp_dir("include-path-bad");
  const fs::path added = added_suites(dir / "mine");
  const std::string base = moebench_bin() + " run --backend oracle --no-progress --results-dir '" +
                           (dir / "results").string() + "' --suites arith --include-path ";
  fs::copy_file(fs::path(MOEBENCH_SOURCE_DIR) / "tasks/math/gsm8k.json", added / "math/gsm8k.json");
  require_bad_input(run_command(base + "'" + added.string() + "'", dir),
                    "math/gsm8k.json: suite name 'gsm8k' is also used by tasks/math/gsm8k.json",
                    dir);
  fs::remove(added / "math/gsm8k.json");

  fs::copy_file(fs::path(MOEBENCH_SOURCE_DIR) / "tasks/profiles/chat.json",
                added / "profiles/chat.json");
  require_bad_input(run_command(base + "'" + added.string() + "'", dir),
                    "profiles/chat.json: profile name 'chat' is also used by "
                    "tasks/profiles/chat.json",
                    dir);
  fs::remove(added / "profiles/chat.json");

  require_bad_input(
      run_command(base + "'" + (dir / "absent").string() + "'", dir),
      "moebench: error: --include-path '" + (dir / "absent").string() + "': no such directory",
      dir);
  fs::remove_all(dir);
}

TEST_CASE("include-path: a nightly config's include_path runs the added suites",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("include-path-nightly");
  added_suites(dir / "mine");
  json config = {{"schema", 1},
                 {"results", "out"},
                 {"include_path", {"mine"}},  // relative to the config's dir
                 {"kernels", {{"run", "never"}}},
                 {"entries",
                  {{{"name", "own"},
                    {"backend", "oracle"},
                    {"suites", {"arith", "arith@terse", "gsm8k"}},
                    {"samples", true}}}}};
  std::ofstream(dir / "n.json") << config.dump(2);
  auto r = run_command(moebench_bin() + " nightly '" + (dir / "n.json").string() +
                           "' --no-progress --night 2026-12-05",
                       dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json rj = json::parse(read_file(dir / "out" / "own-2026-12-05" / "run.json"));
  CHECK(rj["suites"]["arith"]["n_docs"] == 2);  // mine/samples/arith
  CHECK(rj["suites"]["arith@terse"]["n_docs"] == 2);
  CHECK(rj["suites"]["gsm8k"]["n_docs"] == 3);
  CHECK(rj["options"]["include_path"] == json::array({fs::absolute(dir / "mine").string()}));

  config["include_path"] = {"absent"};
  std::ofstream(dir / "n.json", std::ios::trunc) << config.dump(2);
  auto bad = run_command(
      moebench_bin() + " nightly '" + (dir / "n.json").string() + "' --stage plan", dir);
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("field 'include_path[0]': '" + (dir / "absent").string() +
                        "' is not a directory") != std::string::npos);
  fs::remove_all(dir);
}
