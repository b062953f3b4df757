// The stop strings a request carries: a spec's completion_stop only in the completion form, so
// HumanEval stops at "\ndef" as lm-eval and the Codex paper do, while its chat form (a whole
// function in a fenced block, which begins with "def") is not cut at its first line.
#include <algorithm>

#include "backends/api/api_wire.h"
#include "harness/runner/plan.h"
#include "harness/scoring/registry.h"
#include "harness/scoring/sandbox.h"
#include "harness/scoring/scorer.h"
#include "tasks/profile.h"
#include "tests/catch.h"

using namespace moebench;
namespace fs = std::filesystem;

namespace {

const fs::path kTasks = fs::path(MOEBENCH_SOURCE_DIR) / "tasks";

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

SuiteRun open_run(const std::string& suite) {
  const SuiteSpec spec = suite_find_profiled({kTasks, {}}, suite);
  SuiteRun run;
  run.instance =
      std::make_unique<SuiteInstance>(SuiteInstance::open(spec, DataSource{"", kTasks, true, {}}));
  return run;
}

std::vector<std::string> stops(const std::string& suite, bool chat) {
  SuiteRun run = open_run(suite);
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
  CHECK(stops("humaneval@chat", true).empty());  // the chat profile sends none
}

// Reviewer 73, F5: OpenAI takes the first 4 stops, which were the spec's "\nclass", "\n#", "\nif",
// "\nprint": "\ndef", lm-eval's most frequent stop, was only cut on the client after the server
// had generated on. lm-eval's own list, in its order, comes first.
TEST_CASE("plan: HumanEval's completion stops begin with lm-eval's in its order", "[runner]") {
  for (const char* suite : {"humaneval", "humaneval@deepseek-v3-base", "humaneval@code-sampling"}) {
    INFO(suite);
    std::vector<std::string> completion = stops(suite, false);
    REQUIRE(completion.size() >= 5);
    completion.resize(5);
    CHECK(completion == std::vector<std::string>{"\nclass", "\ndef", "\n#", "\nif", "\nprint"});
  }
}

// Reviewer 73, F1: the suite's stops ("\n```", "\n#", ...) went to the chat form too, so a reply
// that opened with a sentence was cut at its own ```python fence (or a "\n# Solution" heading)
// and scored 0. The API client cuts at every stop (api_cut_at_stop), as the server does.
TEST_CASE("plan: HumanEval's chat form is not cut at its own fence or a heading", "[runner]") {
  for (const char* suite : {"humaneval", "humaneval@code-sampling", "humaneval@deepseek-v3-base"}) {
    INFO(suite);
    const std::vector<std::string> chat = stops(suite, true);
    for (const char* s : {"\n```", "\n#", "\nif", "\nclass", "\nprint", "\ndef"}) {
      INFO(s);
      CHECK_FALSE(has(chat, s));
    }
  }
  scoring_register_builtins();
  SandboxOptions options;
  options.workers = 1;
  Sandbox sandbox(options);
  for (const char* suite : {"humaneval", "humaneval@code-sampling"}) {
    INFO(suite);
    SuiteRun run = open_run(suite);
    const Doc& doc = run.instance->docs().front();
    const Request r = plan_request(run, doc, true, 1);
    const std::string code =
        doc.fields["prompt"].get<std::string>() + run.instance->oracle_response(doc);
    for (const std::string& reply : {"Here is the function:\n\n```python\n" + code + "```\n",
                                     "Sure.\n\n## Solution\n\n```python\n" + code + "```\n"}) {
      Response resp;
      resp.texts.assign(static_cast<size_t>(r.generation.n_samples),
                        api_cut_at_stop(reply, r.generation.stop));
      const Scorer scorer = Scorer::build(*run.instance, false);
      const DocScore s = scorer.score(doc, resp, &sandbox);
      REQUIRE_FALSE(s.values.empty());
      for (const auto& [metric, value] : s.values) {
        INFO(metric);
        CHECK(value == 1.0);
      }
    }
  }
}
