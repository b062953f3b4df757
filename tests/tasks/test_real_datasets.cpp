// Full loads of the real datasets (../shared/datasets; skipped with a warning when absent):
// exact item and subject counts, every prompt, target, gold and oracle rendered, and timing.
#include <chrono>
#include <filesystem>
#include <set>
#include <string>

#include "tasks/suite.h"
#include "tests/catch.h"

namespace fs = std::filesystem;
using moebench::SuiteInstance;

namespace {

const fs::path kTasks = fs::path(MOEBENCH_SOURCE_DIR) / "tasks";
const fs::path kData = fs::path(MOEBENCH_SOURCE_DIR "/../shared/datasets");

struct Expect {
  const char* suite;
  size_t docs;
  size_t subjects;  // 0 = not checked
};

// Renders everything a run renders per doc; returns items/s.
double exercise(const SuiteInstance& s) {
  auto t0 = std::chrono::steady_clock::now();
  size_t bytes = 0;
  for (const moebench::Doc& d : s.docs()) {
    moebench::Prompt p = s.prompt(d);
    bytes += p.text.size() + s.target(d).size() + s.oracle_response(d).size();
    if (s.spec().output == moebench::OutputKind::kChoice) {
      for (int g : s.gold_choices(d)) {
        REQUIRE(g >= 0);
        REQUIRE(g < static_cast<int>(p.continuations.size()));
      }
      REQUIRE(!s.gold_choices(d).empty());
    }
  }
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(bytes > 0);
  return s.docs().size() / std::max(dt, 1e-9);
}

}  // namespace

TEST_CASE("real datasets: exact counts, every doc renders", "[real]") {
  if (!fs::is_directory(kData)) {
    WARN("skipped: no datasets at " << kData.string());
    return;
  }
  const Expect expects[] = {
      {"gsm8k", 1319, 0},
      {"math500", 500, 7},
      {"humaneval", 164, 0},
      {"mbpp", 500, 0},
      {"mmlu", 14042, 57},
      {"ceval", 1346, 52},
      {"cmmlu", 11582, 67},
      {"arc_challenge", 1172, 0},
      {"gaokao", 1781, 14},
      {"agieval_gaokao", 1954, 8},
      {"agieval_gaokao_mathcloze", 118, 0},
  };
  moebench::DataSource src{kData, kTasks, false, {}};
  double total_s = 0;
  size_t total_docs = 0;
  for (const Expect& e : expects) {
    auto t0 = std::chrono::steady_clock::now();
    SuiteInstance s = SuiteInstance::open(moebench::suite_find_spec(kTasks, e.suite), src);
    double open_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO("suite " << e.suite);
    CHECK(s.docs().size() == e.docs);
    std::set<std::string> subjects;
    for (const moebench::Doc& d : s.docs()) subjects.insert(d.subject);
    if (e.subjects) CHECK(subjects.size() == e.subjects);
    double rate = exercise(s);
    double all_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    total_s += all_s;
    total_docs += s.docs().size();
    WARN(e.suite << ": " << s.docs().size() << " docs, open " << open_s * 1e3 << " ms, render "
                 << static_cast<long>(rate) << " items/s, end to end "
                 << static_cast<long>(s.docs().size() / all_s) << " items/s");
  }
  WARN("all suites: " << total_docs << " docs in " << total_s * 1e3 << " ms");
}

TEST_CASE("real datasets: spot checks against the files", "[real]") {
  if (!fs::is_directory(kData)) {
    WARN("skipped: no datasets at " << kData.string());
    return;
  }
  moebench::DataSource src{kData, kTasks, false, {}};
  SuiteInstance mb = SuiteInstance::open(moebench::suite_find_spec(kTasks, "mbpp"), src);
  CHECK(mb.docs().front().id == "11");
  CHECK(mb.docs().back().id == "510");
  CHECK(mb.prompt(mb.docs()[0]).text.find("similar_elements") != std::string::npos);

  SuiteInstance ag = SuiteInstance::open(moebench::suite_find_spec(kTasks, "agieval_gaokao"), src);
  size_t multi = 0;
  for (const moebench::Doc& d : ag.docs()) multi += ag.gold_choices(d).size() > 1;
  CHECK(multi == 42);  // 35 physics lists + 7 mathqa strings like "A B D"

  SuiteInstance arc = SuiteInstance::open(moebench::suite_find_spec(kTasks, "arc_challenge"), src);
  size_t numeric = 0;
  for (const moebench::Doc& d : arc.docs())
    numeric += d.fields["answerKey"].get<std::string>()[0] <= '9';
  CHECK(numeric == 22);

  SuiteInstance m = SuiteInstance::open(moebench::suite_find_spec(kTasks, "math500"), src);
  size_t same = 0;
  for (const moebench::Doc& d : m.docs()) {
    same += m.oracle_response(d) == "Final Answer: The final answer is $" +
                                        d.fields["answer"].get<std::string>() +
                                        "$. I hope it is correct.";
  }
  WARN("math500: oracle's boxed answer equals the 'answer' field for " << same << "/500");
  CHECK(same >= 490);
}
