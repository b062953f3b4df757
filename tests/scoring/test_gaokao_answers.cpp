// Gaokao answers scored through the suite's own spec: the single-answer list after the last
// marker (tasks/README "Decisions"), and the multi-sub-question formats of GAOKAO-Bench's own
// prompts, read as its multi_question_choice / five_out_of_seven do (reviewer 70, finding 1).
#include "backends/backend.h"
#include "harness/scoring/registry.h"
#include "harness/scoring/scorer.h"
#include "tasks/suite.h"
#include "tests/catch.h"

using namespace moebench;

namespace {

SuiteInstance open_gaokao() {
  DataSource src;
  src.tasks_dir = std::string(MOEBENCH_SOURCE_DIR) + "/tasks";
  src.samples = true;
  return SuiteInstance::open(suite_find_spec(src.tasks_dir, "gaokao"), src);
}

// The sample Reading_Comp item with `answer` as its gold; its filtered answer and its score.
std::pair<std::string, double> score(const std::vector<std::string>& answer,
                                     const std::string& response) {
  scoring_register_builtins();
  static const SuiteInstance suite = open_gaokao();
  Doc doc;
  for (const Doc& d : suite.docs()) {
    if (d.fields["answer"].size() == 3) doc = d;
  }
  REQUIRE(!doc.id.empty());
  doc.fields["answer"] = answer;
  Scorer scorer = Scorer::build(suite, false);
  Response r;
  r.texts = {response};
  DocScore s = scorer.score(doc, r, nullptr);
  return {s.filtered.begin()->second.at(0), s.values.begin()->second};
}

std::vector<std::string> letters(const std::string& s) {
  std::vector<std::string> out;
  for (char c : s) out.emplace_back(1, c);
  return out;
}

}  // namespace

TEST_CASE("gaokao reads GAOKAO-Bench's multi-sub-question formats", "[scoring][gaokao]") {
  const auto cda = letters("CDA");
  // Its prompt's own format: one marker per sub-question.
  const auto own =
      score(cda, "分析……\n（1）【答案】 C <eoa>\n（2）【答案】 D <eoa>\n（3）【答案】 A <eoa>");
  CHECK(own.first == "C D A");
  CHECK(own.second == 1.0);
  CHECK(score(cda, "(1)【答案】C\n(2)【答案】D\n(3)【答案】A").second == 1.0);
  CHECK(score(cda, "1. 【答案】C\n2. 【答案】D\n3. 【答案】A").second == 1.0);
  // One marker, the sub-questions numbered after it: the first N capital letters.
  CHECK(score(cda, "【答案】1.C 2.D 3.A").second == 1.0);
  CHECK(score(cda, "【答案】(1)C (2)D (3)A").second == 1.0);
  CHECK(score(cda, "【答案】\n1. C\n2. D\n3. A").second == 1.0);
  // Our own prompt's format, and a partly wrong list (2 of 3).
  CHECK(score(cda, "分析：……\n【答案】C D A").second == 1.0);
  CHECK(score(cda, "【答案】C B A").second == Approx(2.0 / 3));
  // Twenty blanks on one numbered line.
  const auto blanks = letters("DCABADCBBACDDABCADCB");
  std::string line = "【答案】";
  for (size_t i = 0; i < blanks.size(); ++i) line += std::to_string(i + 1) + "." + blanks[i] + " ";
  CHECK(score(blanks, line).second == 1.0);
  // 7-choose-5: a run of letters is five answers in order, not one set.
  const auto run = score(letters("EBCGA"), "【答案】EBCGA");
  CHECK(run.first == "E B C G A");
  CHECK(run.second == 1.0);
}

TEST_CASE("gaokao keeps the single-answer list after the last marker", "[scoring][gaokao]") {
  CHECK(score({"A"}, "【答案】A，因为B选项的说法错误").second == 1.0);
  CHECK(score({"ABD"}, "【答案】ABD，其中C错误").second == 1.0);
  CHECK(score({"A"}, "答案：B……\n【答案】A").second == 1.0);
  CHECK(score({"A"}, "故选A").second == 0.0);  // no marker: no answer (documented)
}
