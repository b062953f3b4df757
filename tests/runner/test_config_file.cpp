// --config FILE: a command's flags from a TOML file (section [run] for run, [model.bench] for model
// bench). A run from the file equals the run from the same flags (requests, prompts, scores), the
// command line wins over the file, run.json records the file, and a bad file is a one-line error
// naming it.
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using nlohmann::json;

namespace {

void write(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

// What two runs must share to be the same run: per sample, the suite, document, request hash,
// prompt and metrics; per suite, the spec and the scores.
json run_identity(const fs::path& run) {
  json out = json::object();
  const json rj = json::parse(read_file(run / "run.json"));
  out["options"] = rj["options"];
  for (const auto& [name, s] : rj["suites"].items()) {
    out["suites"][name] = {{"spec", s["spec"]}, {"metrics", s["metrics"]}, {"n", s["n_docs"]}};
  }
  for (const std::string& line : read_lines(run / "samples.jsonl")) {
    const json s = json::parse(line);
    out["samples"].push_back(
        {s["suite"], s["doc_id"], s["request_hash"], s["prompt"], s["metrics"]});
  }
  return out;
}

}  // namespace

TEST_CASE("config file: the same run as its flags, the command line winning", "[runner][cli]") {
  const fs::path dir = temp_dir("config-file");
  const std::string results = (dir / "results").string();
  const std::string flags =
      "--backend oracle --suites gsm8k,mmlu@chat,mbpp --samples --limit 3 --num-fewshot 2 "
      "--gen-kwargs temperature=0.5,n=2 --seed 7 --no-progress --no-cache --results-dir '" +
      results + "'";
  auto a = run_command(moebench_bin() + " run " + flags + " --run-id flags", dir);
  INFO(a.output);
  REQUIRE(a.exit_code == 0);

  const std::string toml =
      "# the same run as a file\n"
      "[run]\n"
      "backend = \"oracle\"\n"
      "suites = [\"gsm8k\", \"mmlu@chat\", \"mbpp\"]\n"
      "samples = true\n"
      "limit = 3\n"
      "num-fewshot = 2\n"
      "gen-kwargs = \"temperature=0.5,n=2\"\n"
      "seed = 7\n"
      "no-progress = true\n"
      "no-cache = true\n"
      "results-dir = \"" +
      results +
      "\"\n"
      "run-id = \"file\"\n"
      "\n"
      "[report]\n"  // other commands' sections are there for them
      "format = \"md\"\n";
  write(dir / "run.toml", toml);
  auto b = run_command(moebench_bin() + " run --config '" + (dir / "run.toml").string() + "'", dir);
  INFO(b.output);
  REQUIRE(b.exit_code == 0);
  CHECK(run_identity(dir / "results" / "file") == run_identity(dir / "results" / "flags"));
  const json rj = json::parse(read_file(dir / "results" / "file" / "run.json"));
  CHECK(rj["config"]["file"] == (dir / "run.toml").string());
  CHECK(rj["config"]["text"] == toml);
  CHECK(!json::parse(read_file(dir / "results" / "flags" / "run.json")).contains("config"));

  // The command line wins: --limit 1 over the file's 3, another run id.
  auto c = run_command(moebench_bin() + " run --config '" + (dir / "run.toml").string() +
                           "' --limit 1 --run-id line",
                       dir);
  REQUIRE(c.exit_code == 0);
  const json lj = json::parse(read_file(dir / "results" / "line" / "run.json"));
  CHECK(lj["suites"]["gsm8k"]["n_docs"] == 1);
  CHECK(lj["options"]["seed"] == 7);
  fs::remove_all(dir);
}

TEST_CASE("config file: a bad file is a one-line error naming it", "[runner][cli]") {
  const fs::path dir = temp_dir("config-file-bad");
  const std::string f = (dir / "c.toml").string();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"[run]\nbakend = \"oracle\"\n",
       f + ":2: key 'bakend' in [run]: not a flag of 'moebench run' (did you mean 'backend'?)"},
      {"backend = \"oracle\"\n",
       f + ":1: key 'backend': outside a section; put it under the command's, e.g. [run]"},
      {"[rn]\nlimit = 3\n", f + ":1: section [rn] names no command (did you mean [run]?)"},
      {"[model]\nbench = 1\n",
       f + ":2: key 'bench' in [model]: a command; write [model.bench] for its flags"},
      {"[run]\nlimit = 0\n", f + ":2: key 'limit' in [run]: '0' is not an integer >= 1"},
      // r88 F6: a key that is no flag is that, whatever its value's type.
      {"[run]\nno_progress = true\n",
       f + ":2: key 'no_progress' in [run]: not a flag of 'moebench run' (did you mean "
           "'no-progress'?)"},
      {"[run]\nno_such = [1.5, false]\n",
       f + ":2: key 'no_such' in [run]: not a flag of 'moebench run'"},
  };
  for (const auto& [text, message] : bad) {
    INFO(text);
    write(dir / "c.toml", text);
    const auto r = run_command(moebench_bin() + " run --backend oracle --samples --results-dir '" +
                                   (dir / "results").string() + "' --config '" + f + "'",
                               dir);
    require_bad_input(r, "moebench: error: " + message, dir);
  }
  require_bad_input(
      run_command(moebench_bin() + " run --config '" + (dir / "absent.toml").string() + "'", dir),
      "config file '" + (dir / "absent.toml").string() + "' cannot be read", dir);
  fs::remove_all(dir);
}

TEST_CASE("config file: an empty suites array names nothing in run and rescore", "[runner][cli]") {
  const fs::path dir = temp_dir("config-file-empty-suites");
  const std::string file = (dir / "c.toml").string();
  write(dir / "responses.jsonl", "");
  for (const std::string& command : {std::string("run"), std::string("rescore")}) {
    INFO(command);
    write(file, "[" + command + "]\nsamples = true\nsuites = []\n");
    const std::string line =
        command == "run" ? " run --backend oracle --no-cache --no-progress"
                         : " rescore '" + (dir / "responses.jsonl").string() + "' --no-progress";
    const auto r = run_command(moebench_bin() + line + " --results-dir '" +
                                   (dir / "results").string() + "' --config '" + file + "'",
                               dir);
    require_bad_input(r,
                      file + ":3: key 'suites' in [" + command +
                          "]: '' names nothing (leave the flag out for all)\n",
                      dir);
  }
  fs::remove_all(dir);
}

TEST_CASE("config file: TOML multi-line arrays and strings", "[runner][cli]") {
  const fs::path dir = temp_dir("config-file-multiline");
  write(dir / "c.toml",
        "[run]\n"
        "samples = true\n"
        "suites = [\n"
        "  \"gsm8k\",  # a comment\n"
        "  \"mmlu\",\n"
        "]\n"
        "gen-kwargs = \"\"\"\n"
        "temperature=0.5\"\"\"\n"
        "limit = 1\n");
  const auto r = run_command(
      moebench_bin() + " run --backend oracle --no-cache --no-progress --results-dir '" +
          (dir / "results").string() + "' --run-id ml --config '" + (dir / "c.toml").string() + "'",
      dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json rj = json::parse(read_file(dir / "results" / "ml" / "run.json"));
  CHECK(rj["suites"].size() == 2);
  CHECK(rj["suites"].contains("gsm8k"));
  CHECK(rj["suites"].contains("mmlu"));
  CHECK(rj["suites"]["gsm8k"]["spec"]["generation"]["temperature"] == 0.5);
  fs::remove_all(dir);
}

TEST_CASE("config file: not TOML or a value of the wrong type is one line with its place",
          "[runner][cli]") {
  const fs::path dir = temp_dir("config-file-toml");
  const std::string f = (dir / "c.toml").string();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"[run]\nsuites = [\"gsm8k\", \"mmlu\"\n",  // unclosed array
       f + ":2:27: Error while parsing array: encountered end-of-file"},
      {"[run]\nbackend = \"oracle\n", f + ":2:"},  // unclosed string
      {"[run]\nlimit = 1\nlimit = 1\n",            // duplicate key
       f + ":3:9: Error while parsing key-value pair: cannot redefine existing integer 'limit'"},
      {"[run]\nsamples = \"yes\"\n",
       f + ":2:11: key 'samples' in [run]: takes true or false, not the string \"yes\""},
      {"[run]\nsamples = 1\n",
       f + ":2:11: key 'samples' in [run]: takes true or false, not the integer 1"},
      {"[run]\nlimit = \"2\"\n",
       f + ":2:9: key 'limit' in [run]: takes an integer, not the string \"2\""},
      {"[run]\nsuites = [\"gsm8k\", true]\n",
       f + ":2:20: key 'suites' in [run]: takes a string, not the boolean true in an array"},
      {"[run]\ngen-kwargs = { temperature = 0.5 }\n",
       f + ":2:1: key 'gen-kwargs' in [run]: an inline table; a flag takes a value or an array "
           "of values"},
      {"[[run]]\nsamples = true\n",
       f + ":1:3: [[run]] is an array of tables; a command's flags go in one [run] table"},
  };
  for (const auto& [text, message] : bad) {
    INFO(text);
    write(dir / "c.toml", text);
    const auto r = run_command(moebench_bin() + " run --backend oracle --results-dir '" +
                                   (dir / "results").string() + "' --config '" + f + "'",
                               dir);
    require_bad_input(r, "moebench: error: " + message, dir);
  }
  fs::remove_all(dir);
}

// A value CLI11's own check refuses (a bound, a choice) and a key no flag takes name the key's line
// and section, as a value of the wrong TOML type does.
TEST_CASE("config file: a value its flag refuses names the key's line", "[runner][cli]") {
  const fs::path dir = temp_dir("config-file-value-line");
  const std::string f = (dir / "c.toml").string();
  const std::string run = " run --backend oracle --samples --results-dir '" +
                          (dir / "results").string() + "' --config '" + f + "'";
  const std::string compare = " compare a b --config '" + f + "'";
  const std::vector<std::tuple<std::string, std::string, std::string>> bad = {
      {run, "[run]\nsamples = true\n\nlimit = 0\n",
       f + ":4: key 'limit' in [run]: '0' is not an integer >= 1\n"},
      {run, "[run]\nmax-error-rate = 1.5\n", f + ":2: key 'max-error-rate' in [run]: "},
      {run, "[run]\nsandbox-workers = 5000\n", f + ":2: key 'sandbox-workers' in [run]: "},
      {run, "[run]\nprogress-interval = 0\n", f + ":2: key 'progress-interval' in [run]: "},
      {run, "[run]\nsamples = true\nbakend = \"oracle\"\n",
       f + ":3: key 'bakend' in [run]: not a flag of 'moebench run' (did you mean 'backend'?)"},
      {compare, "[report]\nformat = \"md\"\n\n[compare]\nformat = \"xml\"\n",
       f + ":5: key 'format' in [compare]: "},
      {run, "[run]\nlimit = [1, 2]\n",
       f + ":2:9: key 'limit' in [run]: takes an integer, not an array of 2\n"},
  };
  for (const auto& [command, text, message] : bad) {
    INFO(text);
    write(dir / "c.toml", text);
    const auto r = run_command(moebench_bin() + command, dir);
    require_bad_input(r, "moebench: error: " + message, dir);
    CHECK(r.output.find("config file '") == std::string::npos);
  }
  // The command line wins: its own bad value is not the file's.
  write(dir / "c.toml", "[run]\nlimit = 3\n");
  const auto line = run_command(moebench_bin() + run + " --limit 0", dir);
  require_bad_input(line, "moebench: error: --limit: '0' is not an integer >= 1 (see moebench run",
                    dir);
  fs::remove_all(dir);
}
