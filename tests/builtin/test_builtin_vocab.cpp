// A tokenizer whose ids reach config.json's vocab_size is refused at load: a reviewer's checkpoint
// (vocab_size 600, a 1024-token tokenizer.json) loaded, then aborted a run with "internal error:
// CpuEngine::forward: ... token[1] = 659 outside vocab [0, 600)" (exit 1, no results) at the first
// prompt holding such a token, and `serve` answered every such request with a 500.
#include <algorithm>

#include "backends/builtin/builtin_model.h"
#include "tests/builtin/builtin_test_util.h"
#include "tests/catch.h"
#include "tests/input_error_of.h"

using namespace moebench;
using namespace moebench::testing;

TEST_CASE("builtin: tokenizer ids past config vocab_size are refused at load", "[builtin]") {
  const fs::path dir = vocab_short_checkpoint("qwen3_moe");
  const std::string expected = (dir / "tokenizer.json").string() +
                               ": holds token ids up to 1023 but config.json's vocab_size is 600 "
                               "(the model has no embedding for ids 600 and above)";
  BuiltinLoadOptions o;
  o.threads = 1;
  o.device = "cpu";
  CHECK(input_error_of([&] { BuiltinModel::load(dir, o); }) == expected);
  const fs::path work = temp_dir("builtin-vocab-cli");
  // `run` and `serve` end the same way: that line, exit 2 (serve never starts listening).
  for (const std::string cmd :
       {" run --backend builtin:" + dir.string() +
            " --samples --suites arc_challenge --limit 2 --no-cache --no-progress --results-dir '" +
            (work / "results").string() + "'",
        " serve " + dir.string() + " --port 0 --threads 1"}) {
    const CommandResult r = run_command("timeout 60 " + moebench_bin() + cmd, work);
    INFO(cmd << ": " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(expected) != std::string::npos);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
}
