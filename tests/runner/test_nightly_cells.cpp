// `moebench nightly --stage finish` gates only this night's runs: a directory it merges or gates
// that holds another run (another night's, another shard's) fails the entry naming the directory,
// the run it holds, the one expected and the command that runs it again; a run that differs from
// the entry as the config now sets it fails the entry naming each difference. An entry's backend
// path is the config's, as its other paths.
#include "backends/builtin/checkpoint/model_init.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"
#include "tests/runner/nightly_fixtures.h"

using namespace moebench::testing;
using nlohmann::json;

// The nightly built the paths <entry>-<night>[-shard<i>] and never looked at what they held: a
// shard copied from the night before was merged into tonight's run, gated and passed (rc 0).
TEST_CASE("nightly: finish refuses a directory holding another night's run", "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-cells");
  const json suites = {"gsm8k", "arc_challenge"};
  const std::string nightly =
      write_nightly_config(
          dir, {{{"name", "s"},
                 {"backend", "oracle"},
                 {"samples", true},
                 {"shards", 2},
                 {"suites", suites}},
                {{"name", "u"}, {"backend", "oracle"}, {"samples", true}, {"suites", suites}}}) +
      " --night ";
  REQUIRE(run_command(nightly + "2026-12-03", dir).exit_code == 0);
  REQUIRE(run_command(nightly + "2026-12-04 --stage run --entry s --shard 0/2", dir).exit_code ==
          0);
  const fs::path out = dir / "out";
  fs::copy(out / "s-2026-12-03-shard1", out / "s-2026-12-04-shard1", fs::copy_options::recursive);
  fs::copy(out / "u-2026-12-03", out / "u-2026-12-04", fs::copy_options::recursive);
  auto finish = run_command(nightly + "2026-12-04 --stage finish", dir);
  INFO(finish.output);
  CHECK(finish.exit_code == 1);
  const std::string n = (dir / "n.json").string();  // no character to quote
  CHECK(lines_with(finish.output, "moebench: nightly: s failed:") ==
        std::vector<std::string>{
            "moebench: nightly: s failed: " + (out / "s-2026-12-04-shard1").string() +
            " holds run s-2026-12-03-shard1, not s-2026-12-04-shard1 (run it again: moebench "
            "nightly " +
            n + " --stage run --night 2026-12-04 --entry s --shard 1/2)"});
  CHECK(lines_with(finish.output, "moebench: nightly: u failed:") ==
        std::vector<std::string>{"moebench: nightly: u failed: " + (out / "u-2026-12-04").string() +
                                 " holds run u-2026-12-03, not u-2026-12-04 (run it again: "
                                 "moebench nightly " +
                                 n + " --stage run --night 2026-12-04 --entry u)"});
  CHECK(finish.output.find("no regression") == std::string::npos);

  // Another shard of the same night in the place of shard 1 is refused as well.
  fs::remove_all(out / "s-2026-12-04-shard1");
  fs::copy(out / "s-2026-12-04-shard0", out / "s-2026-12-04-shard1", fs::copy_options::recursive);
  auto swapped = run_command(nightly + "2026-12-04 --stage finish --entry s", dir);
  INFO(swapped.output);
  CHECK(swapped.exit_code == 1);
  CHECK(swapped.output.find((out / "s-2026-12-04-shard1").string() +
                            " holds run s-2026-12-04-shard0, not s-2026-12-04-shard1") !=
        std::string::npos);

  // Run again as the message says, the night is gated on its own runs and passes.
  REQUIRE(run_command(nightly + "2026-12-04 --stage run --entry s --shard 1/2", dir).exit_code ==
          0);
  REQUIRE(run_command(nightly + "2026-12-04 --stage run --entry u", dir).exit_code == 0);
  auto again = run_command(nightly + "2026-12-04 --stage finish", dir);
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(again.output.find("nightly 2026-12-04: no regression") != std::string::npos);
  fs::remove_all(dir);
}

// A config edited between a night's run and its finish (Slurm's finish job reads it after the
// shard array) was not noticed: finish gated a run of other suites and limit than the config
// names, passed it (rc 0) and made it the next night's baseline; the new suite appeared nowhere.
TEST_CASE("nightly: finish names each way a run differs from the entry it finishes",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-changed");
  json entries = {{{"name", "o"},
                   {"backend", "oracle"},
                   {"samples", true},
                   {"limit", 5},
                   {"suites", {"gsm8k", "arc_challenge"}}},
                  {{"name", "s"},
                   {"backend", "oracle"},
                   {"samples", true},
                   {"shards", 2},
                   {"suites", {"gsm8k"}}}};
  const std::string nightly = write_nightly_config(dir, entries) + " --night ";
  REQUIRE(run_command(nightly + "2026-11-04", dir).exit_code == 0);
  REQUIRE(run_command(nightly + "2026-11-05 --stage run", dir).exit_code == 0);
  entries[0]["limit"] = 3;
  entries[0]["suites"] = {"gsm8k", "mmlu"};
  entries[1]["backend"] = "oracle-chat";
  entries[1]["seed"] = 7;
  write_nightly_config(dir, entries);
  auto finish = run_command(nightly + "2026-11-05 --stage finish", dir);
  INFO(finish.output);
  CHECK(finish.exit_code == 1);
  const fs::path out = dir / "out";
  const std::string n = (dir / "n.json").string();  // no character to quote
  CHECK(lines_with(finish.output, "moebench: nightly: o failed:") ==
        std::vector<std::string>{
            "moebench: nightly: o failed: " + (out / "o-2026-11-05").string() +
            " is not this config's run: arc_challenge not in the entry; mmlu not run; "
            "options.limit 5, the entry 3 (run it again: moebench nightly " +
            n + " --stage run --night 2026-11-05 --entry o)"});
  CHECK(lines_with(finish.output, "moebench: nightly: s failed:") ==
        std::vector<std::string>{
            "moebench: nightly: s failed: " + (out / "s-2026-11-05-shard0").string() +
            " is not this config's run: options.seed 1234, the entry 7; backend oracle, the entry "
            "oracle-chat (run it again: moebench nightly " +
            n + " --stage run --night 2026-11-05 --entry s)"});
  CHECK(finish.output.find("no regression") == std::string::npos);

  // Run again as the config now says, the night passes.
  REQUIRE(run_command(nightly + "2026-11-05 --stage run", dir).exit_code == 0);
  auto again = run_command(nightly + "2026-11-05 --stage finish", dir);
  INFO(again.output);
  CHECK(again.exit_code == 0);
  fs::remove_all(dir);
}

// README says a config's paths are relative to its directory; an entry's `replay:<file>` (and
// `builtin:<dir>`) was opened from the working directory instead, which is the checkout on
// GitHub and <results> on Slurm: a config that ran by hand from its directory failed every cell.
TEST_CASE("nightly: an entry's backend path is relative to the config's directory",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-backend-path");
  fs::create_directories(dir / "cfg");
  fs::create_directories(dir / "elsewhere");
  write_answers(dir, dir / "cfg" / "rp.jsonl", false);
  const std::string nightly =
      write_nightly_config(
          dir / "cfg",
          {{{"name", "rp"}, {"backend", "replay:rp.jsonl"}, {"limit", 2}, {"suites", {"gsm8k"}}}}) +
      " --night 2026-08-01";
  auto night = run_command(nightly, dir / "elsewhere");
  INFO(night.output);
  CHECK(night.exit_code == 0);
  const json run = json::parse(read_file(dir / "cfg" / "out" / "rp-2026-08-01" / "run.json"));
  CHECK(run["backend"]["details"]["file"] == (dir / "cfg" / "rp.jsonl").string());
  fs::remove_all(dir);
}

// r90 X1: the check of a run's suites walked the items of a temporary json already destroyed, so
// a suite name too long for the short-string buffer (over 15 characters, as the shipped
// nightly/nightly.json's agieval_gaokao_mathcloze) came out as freed bytes: "is not this config's
// run: M-%M-YMq8V", then "internal error: invalid UTF-8 byte", exit 1, on every night.
TEST_CASE("nightly: an entry whose suite names are long finishes its night", "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-long-suite");
  const std::string nightly =
      write_nightly_config(dir, {{{"name", "long"},
                                  {"backend", "oracle"},
                                  {"samples", true},
                                  {"shards", 2},
                                  {"suites", {"agieval_gaokao_mathcloze", "arc_challenge"}}}}) +
      " --night ";
  for (const char* night : {"2026-12-03", "2026-12-04"}) {
    const auto r = run_command(nightly + night, dir);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("not this config's run") == std::string::npos);
    CHECK(r.output.find("internal error") == std::string::npos);
  }
  fs::remove_all(dir);
}

// r90 N1: finish compared only the scheme of a replay or builtin backend id, whose rest names the
// content: a config that named another replay file (or edited it) between run and finish passed
// (rc 0), and the night became the baseline of a setup the config no longer names.
TEST_CASE("nightly: finish names a replay file the entry changed since the run",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-replay-changed");
  write_answers(dir, dir / "rp.jsonl", false);
  write_answers(dir, dir / "rp2.jsonl", true);
  json entries = {
      {{"name", "rp"}, {"backend", "replay:rp.jsonl"}, {"limit", 20}, {"suites", {"gsm8k"}}}};
  const std::string nightly = write_nightly_config(dir, entries) + " --night ";
  REQUIRE(run_command(nightly + "2026-08-01", dir).exit_code == 0);
  REQUIRE(run_command(nightly + "2026-08-02 --stage run", dir).exit_code == 0);
  const fs::path out = dir / "out";
  const std::string ran =
      json::parse(read_file(out / "rp-2026-08-02" / "run.json"))["backend"]["id"];
  entries[0]["backend"] = "replay:rp2.jsonl";
  write_nightly_config(dir, entries);
  auto finish = run_command(nightly + "2026-08-02 --stage finish", dir);
  INFO(finish.output);
  CHECK(finish.exit_code == 1);
  CHECK(finish.output.find("no regression") == std::string::npos);

  // Run again as the message says, the night is the new file's and passes (its gsm8k answers are
  // half wrong: a regression, which the gate now sees).
  REQUIRE(run_command(nightly + "2026-08-02 --stage run", dir).exit_code == 0);
  const std::string now =
      json::parse(read_file(out / "rp-2026-08-02" / "run.json"))["backend"]["id"];
  CHECK(now != ran);
  const std::string n = (dir / "n.json").string();  // no character to quote
  CHECK(lines_with(finish.output, "moebench: nightly: rp failed:") ==
        std::vector<std::string>{
            "moebench: nightly: rp failed: " + (out / "rp-2026-08-02").string() +
            " is not this config's run: backend " + ran + ", the entry replay:" +
            (dir / "rp2.jsonl").string() + " (" + now + ") (run it again: moebench nightly " + n +
            " --stage run --night 2026-08-02 --entry rp)"});
  auto again = run_command(nightly + "2026-08-02 --stage finish", dir);
  INFO(again.output);
  CHECK(again.exit_code == 1);
  CHECK(lines_with(again.output, "moebench: nightly: regression: rp gsm8k").size() == 1);

  // The same file edited in place after the run is another file too.
  entries[0]["backend"] = "replay:rp.jsonl";
  write_nightly_config(dir, entries);
  REQUIRE(run_command(nightly + "2026-08-03 --stage run", dir).exit_code == 0);
  write_answers(dir, dir / "rp.jsonl", true);
  auto edited = run_command(nightly + "2026-08-03 --stage finish", dir);
  INFO(edited.output);
  CHECK(edited.exit_code == 1);
  CHECK(edited.output.find("is not this config's run: backend " + ran + ", the entry replay:" +
                           (dir / "rp.jsonl").string() + " (" + now + ")") != std::string::npos);
  fs::remove_all(dir);
}

// r90 N1, the builtin case: the id names the checkpoint by its fingerprint (the backend's own),
// which finish now computes for the entry's directory as it is at finish.
TEST_CASE("nightly: finish names a builtin checkpoint changed since the run",
          "[runner][nightly][builtin]") {
  const fs::path dir = temp_dir("nightly-builtin-changed");
  moebench::ModelInitOptions o;
  o.preset = "tiny";
  o.out_dir = dir / "ckpt";
  o.training_text_dir = fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  moebench::model_init_write(o);
  const json entries = {{{"name", "b"},
                         {"backend", "builtin:ckpt"},
                         {"samples", true},
                         {"limit", 1},
                         {"suites", {"gsm8k"}}}};
  const std::string nightly = write_nightly_config(dir, entries) + " --night 2026-08-02 --stage ";
  REQUIRE(run_command(nightly + "run", dir).exit_code == 0);
  const std::string ran =
      json::parse(read_file(dir / "out" / "b-2026-08-02" / "run.json"))["backend"]["id"];
  std::ofstream(dir / "ckpt" / "config.json", std::ios::app) << "\n";  // another checkpoint
  auto finish = run_command(nightly + "finish", dir);
  INFO(finish.output);
  CHECK(finish.exit_code == 1);
  const std::string said = "is not this config's run: backend " + ran +
                           ", the entry builtin:" + (dir / "ckpt").string() + " (builtin:ckpt@";
  CHECK(finish.output.find(said) != std::string::npos);

  REQUIRE(run_command(nightly + "run", dir).exit_code == 0);
  const std::string now =
      json::parse(read_file(dir / "out" / "b-2026-08-02" / "run.json"))["backend"]["id"];
  CHECK(now != ran);
  CHECK(finish.output.find(said + now.substr(now.find('@') + 1) + ")") != std::string::npos);
  auto again = run_command(nightly + "finish", dir);
  INFO(again.output);
  CHECK(again.exit_code == 0);
  fs::remove_all(dir);
}

// The file or checkpoint an entry names may be on the machines that run, not on the one that
// finishes: its runs are then compared by the backend's scheme, and that is said.
TEST_CASE("nightly: finish without the entry's replay file compares the scheme and says so",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-replay-absent");
  write_answers(dir, dir / "rp.jsonl", false);
  const json entries = {
      {{"name", "rp"}, {"backend", "replay:rp.jsonl"}, {"limit", 4}, {"suites", {"gsm8k"}}}};
  const std::string nightly = write_nightly_config(dir, entries) + " --night 2026-08-02 --stage ";
  REQUIRE(run_command(nightly + "run", dir).exit_code == 0);
  fs::rename(dir / "rp.jsonl", dir / "elsewhere.jsonl");
  auto finish = run_command(nightly + "finish", dir);
  INFO(finish.output);
  CHECK(finish.exit_code == 0);
  CHECK(lines_with(finish.output, "moebench: nightly: warning:") ==
        std::vector<std::string>{"moebench: nightly: warning: rp: " + (dir / "rp.jsonl").string() +
                                 " is not on this machine, so its runs are compared with the "
                                 "entry by the backend's scheme only"});
  fs::remove_all(dir);
}
