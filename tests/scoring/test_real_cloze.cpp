// agieval_gaokao_mathcloze on the real data (../shared/datasets; skipped with a warning when
// absent), under each profile that runs it: every oracle answer scores 1 on every metric, and the
// two ways minerva's normalization mis-read golds score 0 (one blank of a several-blank gold; the
// right-hand side of an equation gold).
#include <filesystem>
#include <string>

#include "harness/scoring/math_normalize.h"
#include "harness/scoring/scorer.h"
#include "tasks/profile.h"
#include "tests/catch.h"

namespace fs = std::filesystem;
using namespace moebench;

namespace {

const fs::path kTasks = fs::path(MOEBENCH_SOURCE_DIR) / "tasks";
const fs::path kData = fs::path(MOEBENCH_SOURCE_DIR "/../shared/datasets");

// The oracle response with the gold answer replaced by `answer`.
Response answering(const SuiteInstance& suite, const Doc& doc, const std::string& answer) {
  std::string text = suite.oracle_response(doc);
  const std::string gold = doc.fields.at("answer").get<std::string>();
  const size_t at = text.find(gold);
  REQUIRE(at != std::string::npos);
  text.replace(at, gold.size(), answer);
  Response r;
  r.texts = {text};
  return r;
}

}  // namespace

TEST_CASE("real data: mathcloze oracles score 1, partial blanks and bare right-hand sides 0",
          "[scoring][real][cloze]") {
  if (!fs::is_directory(kData / "agieval")) {
    WARN("skipped: no datasets at " << kData.string());
    return;
  }
  for (const char* name : {"agieval_gaokao_mathcloze", "agieval_gaokao_mathcloze@chat"}) {
    const SuiteSpec spec = suite_find_profiled(kTasks, name);
    const SuiteInstance suite = SuiteInstance::open(spec, DataSource{kData, kTasks, false, {}});
    const Scorer scorer = Scorer::build(suite, false);
    REQUIRE(suite.docs().size() == 118);
    size_t oracles = 0, partial = 0, sides = 0;
    for (const Doc& doc : suite.docs()) {
      const std::string gold = doc.fields.at("answer").get<std::string>();
      auto check_all = [&](const Response& r, double want) {
        DocScore s = scorer.score(doc, r, nullptr);
        for (const MetricKey& key : scorer.keys()) {
          INFO(name << " " << doc.id << " gold " << gold << "\nresponse " << r.texts[0] << "\n"
                    << key.id() << " " << s.details.value(key.id(), nlohmann::json()).dump());
          CHECK(s.values.at(key.id()) == want);
        }
      };
      check_all(answering(suite, doc, gold), 1.0);
      ++oracles;
      const auto blanks = math_split(gold, ";");
      if (blanks.size() > 1) {
        check_all(answering(suite, doc, blanks[0]), 0.0);
        ++partial;
      }
      if (gold.find('=') != std::string::npos) {
        check_all(answering(suite, doc, math_split(gold, "=").back()), 0.0);
        ++sides;
      }
    }
    WARN(name << ": " << oracles << " oracles, " << partial << " first-blank-only answers, "
              << sides << " right-hand sides");
    CHECK(partial == 16);
    CHECK(sides == 8);
  }
}
