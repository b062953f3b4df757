// The code_exec filter end to end: a HumanEval/MBPP sample suite, its Scorer, the real sandbox.
// The reference solution passes; a wrong or hostile completion fails and the run goes on.
#include "backends/backend.h"
#include "harness/scoring/registry.h"
#include "harness/scoring/sandbox.h"
#include "harness/scoring/scorer.h"
#include "tasks/suite.h"
#include "tests/catch.h"
#include "tests/sandbox/sandbox_test_util.h"

using namespace moebench;

namespace {

SuiteInstance open_sample_suite(const std::string& name) {
  DataSource src;
  src.tasks_dir = std::string(MOEBENCH_SOURCE_DIR) + "/tasks";
  src.samples = true;
  return SuiteInstance::open(suite_find_spec(src.tasks_dir, name), src);
}

DocScore score_text(const Scorer& scorer, const Doc& doc, const std::string& text, Sandbox* sb) {
  Response r;
  r.texts = {text};
  return scorer.score(doc, r, sb);
}

}  // namespace

TEST_CASE("code_exec runs HumanEval programs: reference passes, wrong fails", "[sandbox]") {
  scoring_register_builtins();
  SuiteInstance suite = open_sample_suite("humaneval");
  Scorer scorer = Scorer::build(suite, false);
  REQUIRE(scorer.needs_sandbox());
  Sandbox sandbox(test::short_limits());
  const Doc& doc = suite.docs().at(0);

  DocScore good = score_text(scorer, doc, suite.oracle_response(doc), &sandbox);
  REQUIRE(good.values.size() == 1);
  CHECK(good.values.begin()->second == 1.0);
  CHECK(good.filtered.begin()->second.at(0) == "passed");

  DocScore wrong = score_text(scorer, doc, "    return None\n", &sandbox);
  CHECK(wrong.values.begin()->second == 0.0);
  CHECK(wrong.filtered.begin()->second.at(0).rfind("failed: ", 0) == 0);

  // A fenced chat answer with the whole function is unwrapped by code_block first.
  std::string fenced = "Here it is:\n```python\n" + doc.fields["prompt"].get<std::string>() +
                       suite.oracle_response(doc) + "```\n";
  CHECK(score_text(scorer, doc, fenced, &sandbox).values.begin()->second == 1.0);

  DocScore hang = score_text(scorer, doc, "    while True: pass\n", &sandbox);
  CHECK(hang.filtered.begin()->second.at(0).rfind("timeout", 0) == 0);
  CHECK(test::count_descendants() == 0);
}

TEST_CASE("code_exec on MBPP: setup code and asserts are part of the program", "[sandbox]") {
  scoring_register_builtins();
  SuiteInstance suite = open_sample_suite("mbpp");
  Scorer scorer = Scorer::build(suite, false);
  Sandbox sandbox(test::short_limits());
  for (const Doc& doc : suite.docs()) {
    INFO(doc.id);
    CHECK(score_text(scorer, doc, suite.oracle_response(doc), &sandbox).values.begin()->second ==
          1.0);
    CHECK(score_text(scorer, doc, "pass\n", &sandbox).values.begin()->second == 0.0);
  }
}

TEST_CASE("code_exec on a chat MBPP answer runs its python block", "[sandbox]") {
  // A usage example or a shell line fenced before the ```python block is not the program
  // (reviewer 70, #3: it was run, 'failed: SyntaxError').
  scoring_register_builtins();
  SuiteInstance suite = open_sample_suite("mbpp");
  Scorer scorer = Scorer::build(suite, false);
  Sandbox sandbox(test::short_limits());
  const Doc& doc = suite.docs().at(0);
  const std::string code = "```python\n" + suite.oracle_response(doc) + "\n```\n";
  for (const std::string before :
       {"Usage:\n```\n>>> f(1)\n```\n", "```bash\npip install x\n```\n"}) {
    INFO(before);
    DocScore s = score_text(scorer, doc, before + code, &sandbox);
    CHECK(s.filtered.begin()->second.at(0) == "passed");
  }
}

TEST_CASE("code_exec without a sandbox is an error, not a pass", "[sandbox]") {
  scoring_register_builtins();
  SuiteInstance suite = open_sample_suite("humaneval");
  Scorer scorer = Scorer::build(suite, false);
  const Doc& doc = suite.docs().at(0);
  CHECK_THROWS(score_text(scorer, doc, suite.oracle_response(doc), nullptr));
}

// A sandbox that could not run the program (its setup failed: clone, a mount, execve) has no
// verdict on the code: the problem is a scoring error, counted against --max-error-rate, never a
// failure that silently lowers pass@1.
TEST_CASE("code_exec: a program the sandbox could not run is a scoring error, not a failure",
          "[sandbox]") {
  SandboxResult setup_failed;
  setup_failed.verdict = SandboxVerdict::kError;
  setup_failed.reason = "sandbox setup failed at clone: Resource temporarily unavailable";
  CHECK_THROWS_WITH(sandbox_prediction(setup_failed),
                    "code_exec: the sandbox could not run the program (sandbox setup failed at "
                    "clone: Resource temporarily unavailable)");
  SandboxResult failed;
  failed.verdict = SandboxVerdict::kFailed;
  failed.reason = "AssertionError";
  CHECK(sandbox_prediction(failed) == "failed: AssertionError");
  failed.verdict = SandboxVerdict::kTimeout;
  failed.reason = "timeout after 3.0 s";
  CHECK(sandbox_prediction(failed) == "timeout: timeout after 3.0 s");
  failed.verdict = SandboxVerdict::kPassed;
  CHECK(sandbox_prediction(failed) == "passed");
}
