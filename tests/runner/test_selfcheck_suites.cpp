// selfcheck --suites SUITE@PROFILE: an unknown profile is refused as run refuses it, a profile
// other than --profile's is refused naming both, and "passed" is never said of nothing checked
// (reviewer 72, finding 6).
#include <string>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;

namespace {

CommandResult selfcheck(const fs::path& dir, const std::string& args) {
  return run_command(moebench_bin() +
                         " selfcheck --samples --no-progress --limit 1 --results-dir '" +
                         (dir / "results").string() + "' " + args,
                     dir);
}

}  // namespace

TEST_CASE("selfcheck refuses an unknown or unselected SUITE@PROFILE", "[cli][selfcheck]") {
  const fs::path dir = temp_dir("selfcheck-at-profile");
  const CommandResult typo = selfcheck(dir, "--suites gsm8k@chatt");
  INFO(typo.output);
  CHECK(typo.exit_code == 2);
  CHECK(typo.output.find("unknown profile 'chatt' (known: ") != std::string::npos);
  CHECK(typo.output.find("passed") == std::string::npos);
  const CommandResult other = selfcheck(dir, "--suites mmlu@chat --profile lm-eval --no-chat");
  INFO(other.output);
  CHECK(other.exit_code == 2);
  CHECK(other.output.find("--suites mmlu@chat: profile 'chat' is not --profile 'lm-eval'") !=
        std::string::npos);
  CHECK(other.output.find("passed") == std::string::npos);
  CHECK(run_dirs(dir / "results").empty());
  const CommandResult ok = selfcheck(dir, "--suites gsm8k@lm-eval --no-chat");
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK(ok.output.find("selfcheck passed") != std::string::npos);
}
