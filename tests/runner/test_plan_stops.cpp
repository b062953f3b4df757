// The stop strings a request carries: a spec's completion_stop only in the completion form, so
// HumanEval stops at "\ndef" as lm-eval and the Codex paper do, while its chat form (a whole
// function in a fenced block, which begins with "def") is not cut at its first line.
#include <algorithm>

#include "harness/runner/plan.h"
#include "tasks/profile.h"
#include "tests/catch.h"

using namespace moebench;
namespace fs = std::filesystem;

namespace {

const fs::path kTasks = fs::path(MOEBENCH_SOURCE_DIR) / "tasks";

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<std::string> stops(const std::string& suite, bool chat) {
  const SuiteSpec spec = suite_find_profiled({kTasks, {}}, suite);
  SuiteRun run;
  run.instance =
      std::make_unique<SuiteInstance>(SuiteInstance::open(spec, DataSource{"", kTasks, true, {}}));
  const Request r = plan_request(run, run.instance->docs().front(), chat, 1);
  return r.generation.stop;
}

}  // namespace

TEST_CASE("plan: a completion-form stop applies only to completion requests", "[runner]") {
  const std::vector<std::string> completion = stops("humaneval", false);
  for (const char* s : {"\nclass", "\ndef", "\n#", "\nif", "\nprint"}) {
    INFO(s);
    CHECK(has(completion, s));
  }
  const std::vector<std::string> chat = stops("humaneval", true);
  CHECK_FALSE(has(chat, "\ndef"));
  CHECK(has(chat, "\n```"));
  CHECK(chat.size() + 1 == completion.size());
  CHECK(stops("humaneval@chat", true).empty());  // the chat profile sends none
}
