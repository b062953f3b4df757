// --config FILE: a value the command checks after the parse (a --shard, --gen-kwargs or
// --request-rate it parses, a backend, suite, profile or models file it looks up, a model family,
// a night) is refused at the key's place in the file, as CLI11's own checks are (reviewer 90, C1);
// typed on the command line it keeps the flag's message. A key that is no flag is named as such
// whatever its value (an inline table, a date: reviewer 90, C2).
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;

namespace {

void write(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

// Each {command, file text, message}: one line, exit 2, nothing written.
void check_refused(const fs::path& dir,
                   const std::vector<std::tuple<std::string, std::string, std::string>>& bad) {
  for (const auto& [command, text, message] : bad) {
    INFO(text);
    write(dir / "c.toml", text);
    const auto r = run_command(moebench_bin() + command, dir);
    require_bad_input(r, "moebench: error: " + message, dir);
  }
}

}  // namespace

TEST_CASE("config file: a value refused after the parse names the key's place", "[runner][cli]") {
  const fs::path dir = temp_dir("config-file-later");
  const std::string f = (dir / "c.toml").string();
  write(dir / "nightly.json",
        R"({"schema": 1, "results": "res", "entries": [{"name": "o", "backend": "oracle",
            "samples": true, "suites": ["gsm8k"]}]})");
  const std::string config = " --config '" + f + "'";
  const std::string run = " run --no-progress --results-dir '" + (dir / "results").string() + "'";
  const std::string head = "[run]\nsamples = true\nbackend = \"oracle\"\nsuites = \"gsm8k\"\n";
  check_refused(
      dir,
      {
          {run + config, head + "gen-kwargs = \"temperature=abc\"\n",
           f + ":5: key 'gen-kwargs' in [run]: temperature=abc: expected a number in [0, 2]\n"},
          {run + config, "[run]\nshard = \"3/2\"\nsamples = true\nbackend = \"oracle\"\n",
           f + ":2: key 'shard' in [run]: '3/2': need 0 <= i < N\n"},
          {run + config, "[run]\nbackend = \"nosuch\"\nsamples = true\n",
           f + ":2: key 'backend' in [run]: 'nosuch': unknown backend (known: "},
          {run + config, "[run]\nsamples = true\nsuites = \"nosuch\"\n",
           f + ":3: key 'suites' in [run]: unknown suite 'nosuch' (known: "},
          {run + config, "[run]\nsamples = true\nsuites = [\"gsm8k@chat\", \"mmlu@nosuch\"]\n",
           f + ":3: key 'suites' in [run]: unknown profile 'nosuch' (known: "},
          {run + config, head + "profile = \"nosuch\"\n",
           f + ":5: key 'profile' in [run]: unknown profile 'nosuch' (known: "},
          {run + config,
           "[run]\nsamples = true\nbackend = \"api:x\"\nsuites = \"gsm8k\"\nmodels = "
           "\"nosuch.json\"\n",
           f + ":5: key 'models' in [run]: nosuch.json: cannot read"},
          {" loadgen" + config, "[loadgen]\nmodel = \"m\"\nrequest-rate = -1\n",
           f + ":3: key 'request-rate' in [loadgen]: '-1': expected a positive number or inf\n"},
          {" model init" + config,
           "[model.init]\nfamily = \"nosuch\"\npreset = \"tiny\"\no = \"x\"\n",
           f + ":2: key 'family' in [model.init]: unknown model family 'nosuch' (known: "},
          {" nightly '" + (dir / "nightly.json").string() + "'" + config,
           "[nightly]\nnight = \"2025-13-40\"\n",
           f + ":2: key 'night' in [nightly]: '2025-13-40': expected YYYY-MM-DD\n"},
      });
  CHECK(!fs::exists(dir / "x"));
  fs::remove_all(dir);
}

TEST_CASE("config file: a bad value typed on the command line keeps the flag's message",
          "[runner][cli]") {
  const fs::path dir = temp_dir("config-file-later-line");
  const std::string f = (dir / "c.toml").string();
  const std::string run =
      " run --no-progress --results-dir '" + (dir / "results").string() + "' --config '" + f + "'";
  const std::string head = "[run]\nsamples = true\nbackend = \"oracle\"\nsuites = \"gsm8k\"\n";
  check_refused(dir, {
                         {run + " --shard 3/2", head + "shard = \"0/2\"\n",
                          "--shard '3/2': need 0 <= i < N\n"},
                         {run + " --gen-kwargs temperature=abc", head + "limit = 2\n",
                          "--gen-kwargs temperature=abc: expected a number in [0, 2]\n"},
                         {run + " --suites nosuch", head, "--suites: unknown suite 'nosuch'"},
                     });
  fs::remove_all(dir);
}

TEST_CASE("config file: an integer in a list of names is a type error at its place",
          "[runner][cli]") {
  const fs::path dir = temp_dir("config-file-names");
  const std::string f = (dir / "c.toml").string();
  const std::string run = " run --no-progress --samples --backend oracle --results-dir '" +
                          (dir / "results").string() + "' --config '" + f + "'";
  check_refused(dir, {
                         {run, "[run]\nsuites = [\"gsm8k\", 3]\n",
                          f + ":2:20: key 'suites' in [run]: takes a string, not the integer 3 "
                              "in an array\n"},
                     });
  fs::remove_all(dir);
}

TEST_CASE("config file: an array for one value a dotted key and merge's bound read plainly",
          "[runner][cli]") {
  const fs::path dir = temp_dir("config-file-wording");
  const std::string f = (dir / "c.toml").string();
  const std::string run = " run --no-progress --samples --backend oracle --results-dir '" +
                          (dir / "results").string() + "' --config '" + f + "'";
  const std::string merge =
      " merge a b -o '" + (dir / "results" / "m").string() + "' --config '" + f + "'";
  check_refused(
      dir, {
               {run, "[run]\nrepeats = [1, 2]\n",
                f + ":2:11: key 'repeats' in [run]: takes an integer, not an array of 2\n"},
               {run, "[run]\nlimit.x = 0\n",
                f + ":2:1: key 'limit' in [run]: takes an integer, not a table (TOML reads "
                    "'limit.x = ...' as one)\n"},
               {merge, "[merge]\nmax-error-rate = -1\n",
                f + ":2: key 'max-error-rate' in [merge]: '-1' is not a number >= 0 and <= 1\n"},
           });
  fs::remove_all(dir);
}

TEST_CASE("config file: an unknown key is unknown before its value's shape", "[runner][cli]") {
  const fs::path dir = temp_dir("config-file-unknown-shape");
  const std::string f = (dir / "c.toml").string();
  const std::string run = " run --no-progress --samples --backend oracle --results-dir '" +
                          (dir / "results").string() + "' --config '" + f + "'";
  check_refused(dir, {
                         {run, "[run]\ngen_kwargs = {temperature = 0.5}\n",
                          f + ":2: key 'gen_kwargs' in [run]: not a flag of 'moebench run' (did "
                              "you mean 'gen-kwargs'?)\n"},
                         {run, "[run]\nno_such = 2025-01-01\n",
                          f + ":2: key 'no_such' in [run]: not a flag of 'moebench run'\n"},
                         {run, "[model]\ninit = {family = \"mixtral\"}\n",
                          f + ":2: key 'init' in [model]: a command; write [model.init] for its "
                              "flags\n"},
                     });
  fs::remove_all(dir);
}
