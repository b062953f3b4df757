// --gen-kwargs (lm-eval's flag): every suite's generation settings, recorded in run.json (options
// and each spec), asked apart from the default (the cache), in a leaderboard row of their own; bad
// keys and values are one-line errors.
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using nlohmann::json;

TEST_CASE("gen-kwargs: the settings reach every suite, recorded and kept apart", "[runner][cli]") {
  const fs::path dir = temp_dir("gen-kwargs");
  const std::string base = oracle_samples_run(dir / "results") + " --suites gsm8k,mbpp";
  REQUIRE(run_command(base + " --run-id plain", dir).exit_code == 0);
  auto r = run_command(
      base +
          " --gen-kwargs temperature=0.6,top_p=0.95,max_gen_toks=2048,thinking_budget=4096,"
          "n=2 --run-id kw",
      dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json rj = json::parse(read_file(dir / "results" / "kw" / "run.json"));
  CHECK(rj["options"]["gen_kwargs"] ==
        "temperature=0.6,top_p=0.95,max_gen_toks=2048,thinking_budget=4096,n=2");
  for (const char* suite : {"gsm8k", "mbpp"}) {
    const json& g = rj["suites"][suite]["spec"]["generation"];
    CHECK(g["temperature"] == 0.6);
    CHECK(g["top_p"] == 0.95);
    CHECK(g["max_tokens"] == 2048);
    CHECK(g["thinking_budget"] == 4096);
    CHECK(g["n_samples"] == 2);
  }
  CHECK(rj["requests"]["cache_hits"] == 0);
  for (const std::string& line : read_lines(dir / "results" / "kw" / "samples.jsonl")) {
    CHECK(json::parse(line)["responses"].size() == 2);
  }
  auto greedy = run_command(base + " --gen-kwargs do_sample=false --run-id greedy", dir);
  REQUIRE(greedy.exit_code == 0);
  CHECK(json::parse(
            read_file(dir / "results" / "greedy" /
                      "run.json"))["suites"]["gsm8k"]["spec"]["generation"]["temperature"] == 0.0);
  auto md =
      run_command(moebench_bin() + " report '" + (dir / "results").string() + "' --format md", dir);
  INFO(md.output);
  CHECK(md.output.find("samples, temperature=0.6,top_p=0.95,max_gen_toks=2048") !=
        std::string::npos);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"tempreature=1",
       "moebench: error: --gen-kwargs 'tempreature=1': unknown key (known: temperature, top_p, "
       "max_tokens or max_gen_toks, thinking_budget, n or n_samples, do_sample)\n"},
      {"top_p=2", "moebench: error: --gen-kwargs top_p=2: expected a number in (0, 1]\n"},
      {"max_tokens=1.5",
       "moebench: error: --gen-kwargs max_tokens=1.5: expected an integer >= 1\n"},
      {"temperature",
       "moebench: error: --gen-kwargs 'temperature': expected "
       "key=value[,key=value...], got 'temperature'\n"},
      {"do_sample=maybe",
       "moebench: error: --gen-kwargs do_sample=maybe: expected true or false\n"},
  };
  for (const auto& [kw, error] : bad) {
    check_refused(run_command(base + " --gen-kwargs " + kw + " --run-id bad", dir), error);
  }
  CHECK(!fs::exists(dir / "results" / "bad"));
  fs::remove_all(dir);
}
