// --repeats N (avg@N): each document asked N times with per-repeat seeds (asked and cached apart;
// repeat 0 is the run without repeats), scores averaged per document first so the CI is over
// documents, each repeat's mean kept; rescore and merge keep the repeats. pass@k from n = 10
// samples through the code-sampling profile, checked against the unbiased estimator.
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "harness/scoring/aggregate.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using nlohmann::json;

namespace {

bool near(double a, double b) { return std::abs(a - b) < 1e-12; }

void write_lines(const fs::path& file, const std::vector<json>& lines) {
  std::ofstream out(file);
  for (const json& j : lines) out << j.dump() << "\n";
}

std::vector<json> samples_of(const fs::path& run) {
  std::vector<json> out;
  for (const std::string& line : read_lines(run / "samples.jsonl"))
    out.push_back(json::parse(line));
  return out;
}

// The one run a rescore wrote under `results`.
fs::path only_run(const fs::path& results) {
  std::vector<fs::path> runs;
  for (const auto& e : fs::directory_iterator(results)) {
    if (fs::exists(e.path() / "run.json")) runs.push_back(e.path());
  }
  REQUIRE(runs.size() == 1);
  return runs[0];
}

// The samples written to dir/edited.jsonl and rescored into dir/rescored (`flags` added); the
// rescore's run.json.
json rescore_edited(const fs::path& dir, const std::vector<json>& samples,
                    const std::string& flags = "") {
  write_lines(dir / "edited.jsonl", samples);
  auto rescored = run_command(moebench_bin() + " rescore '" + (dir / "edited.jsonl").string() +
                                  "' --samples --no-progress " + flags + " --results-dir '" +
                                  (dir / "rescored").string() + "'",
                              dir);
  INFO(rescored.output);
  REQUIRE(rescored.exit_code == 0);
  return json::parse(read_file(only_run(dir / "rescored") / "run.json"));
}

}  // namespace

TEST_CASE("repeats: avg@N over documents, clustered standard error, each repeat's mean",
          "[runner][repeats]") {
  // 3 documents x 2 repeats: document means 0.5, 1, 0.
  std::vector<double> means;
  const moebench::MetricAggregate a =
      moebench::aggregate_metric_repeats({1, 0, 1, 1, 0, 0}, 2, {"", "", ""}, false, &means);
  CHECK(near(a.overall.mean, 0.5));
  CHECK(a.overall.n == 3);
  CHECK(near(a.overall.stderr_, 0.5 / std::sqrt(3.0)));  // sd(0.5, 1, 0) / sqrt(3)
  REQUIRE(means.size() == 2);
  CHECK(near(means[0], 2.0 / 3.0));
  CHECK(near(means[1], 1.0 / 3.0));
  // One repeat is the plain aggregation.
  const moebench::MetricAggregate one =
      moebench::aggregate_metric_repeats({1, 0, 1}, 1, {"", "", ""}, false, &means);
  CHECK(near(one.overall.stderr_, std::sqrt(1.0 / 3.0) / std::sqrt(3.0)));
}

TEST_CASE("repeats: a run with --repeats 4 asks apart, rescores and merges as avg@4",
          "[runner][cli][repeats]") {
  const fs::path dir = temp_dir("repeats");
  const fs::path results = dir / "results";
  const std::string base = oracle_samples_run(results) + " --suites gsm8k";
  REQUIRE(run_command(base + " --run-id plain", dir).exit_code == 0);
  auto r = run_command(base + " --repeats 4 --run-id rep", dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json rj = json::parse(read_file(results / "rep" / "run.json"));
  CHECK(rj["options"]["repeats"] == 4);
  const json& g = rj["suites"]["gsm8k"];
  CHECK(g["repeats"]["n"] == 4);
  CHECK(g["n_docs"] == 3);
  CHECK(g["metrics"]["exact_match,strict-match"]["n"] == 3);
  CHECK(rj["requests"]["cache_hits"] == 3);  // repeat 0 is the plain run's request
  std::vector<json> samples = samples_of(results / "rep");
  REQUIRE(samples.size() == 12);
  std::map<std::string, std::set<std::string>> hashes;
  for (size_t i = 0; i < samples.size(); ++i) {
    CHECK(samples[i]["repeat"] == static_cast<int>(i % 4));
    hashes[samples[i]["doc_id"]].insert(samples[i]["request_hash"]);
  }
  for (const auto& [doc, h] : hashes) CHECK(h.size() == 4);

  // Repeats that disagree: document 0 right in repeats 0 and 2, document 1 in all, document 2 in
  // none -> document means 0.5, 1, 0; repeat means 2/3, 1/3, 2/3, 1/3.
  for (json& s : samples) {
    const int doc = s["doc_id"] == samples[0]["doc_id"]   ? 0
                    : s["doc_id"] == samples[4]["doc_id"] ? 1
                                                          : 2;
    const int rep = s["repeat"];
    const bool right = doc == 1 || (doc == 0 && rep % 2 == 0);
    if (!right) s["responses"][0] = "#### 123456789";
  }
  const json rs = rescore_edited(dir, samples, "--max-error-rate 1")["suites"]["gsm8k"];
  const json& m = rs["metrics"]["exact_match,strict-match"];
  CHECK(near(m["mean"], 0.5));
  CHECK(near(m["stderr"], 0.5 / std::sqrt(3.0)));
  const std::vector<double> by_repeat = rs["repeats"]["means"]["exact_match,strict-match"];
  REQUIRE(by_repeat.size() == 4);
  CHECK(near(by_repeat[0], 2.0 / 3.0));
  CHECK(near(by_repeat[1], 1.0 / 3.0));

  // Shards of a repeats run merge to the unsharded run.
  for (const char* shard : {"0/2", "1/2"}) {
    const std::string id = std::string("s") + shard[0];
    REQUIRE(
        run_command(base + " --repeats 4 --shard " + shard + " --run-id " + id, dir).exit_code ==
        0);
  }
  auto merged =
      run_command(moebench_bin() + " merge '" + (results / "s0").string() + "' '" +
                      (results / "s1").string() + "' -o '" + (results / "merged").string() + "'",
                  dir);
  INFO(merged.output);
  REQUIRE(merged.exit_code == 0);
  const json mj = json::parse(read_file(results / "merged" / "run.json"))["suites"]["gsm8k"];
  CHECK(mj["metrics"] == g["metrics"]);
  CHECK(mj["n_docs"] == 3);
  CHECK(mj["repeats"]["n"] == 4);

  // avg@4 runs compare document by document (each document's mean over its repeats), so a
  // nightly entry with --repeats can be gated; the plain run (one sample each) pairs with them.
  for (const char* other : {"merged", "plain"}) {
    auto c = run_command(moebench_bin() + " compare '" + (results / "rep").string() + "' '" +
                             (results / other).string() + "'",
                         dir);
    INFO(c.output);
    CHECK(c.exit_code == 0);
    // The compare table's row: suite, metric, n = 3 documents (not 12 samples).
    std::stringstream row(c.output.substr(c.output.find("\ngsm8k ") + 1));
    std::string suite, metric, n;
    row >> suite >> metric >> n;
    CHECK(metric == "exact_match,strict-match");
    CHECK(n == "3");
  }
  fs::remove_all(dir);
}

TEST_CASE("repeats: pass@1, pass@5, pass@10 from n = 10 samples match the unbiased estimator",
          "[runner][cli][repeats]") {
  const fs::path dir = temp_dir("pass-at-k");
  const fs::path results = dir / "results";
  auto r = run_command(moebench_bin() +
                           " run --backend oracle --samples --no-progress --suites "
                           "humaneval@code-sampling --results-dir '" +
                           results.string() + "' --run-id oracle",
                       dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::vector<json> samples = samples_of(results / "oracle");
  REQUIRE(samples.size() == 3);
  // c of n = 10 samples pass: 3, 1 and 10.
  const int passing[] = {3, 1, 10};
  for (size_t d = 0; d < samples.size(); ++d) {
    REQUIRE(samples[d]["responses"].size() == 10);
    for (int i = passing[d]; i < 10; ++i) samples[d]["responses"][i] = "    return None\n";
  }
  const json m = rescore_edited(dir, samples)["suites"]["humaneval@code-sampling"]["metrics"];
  // pass@1 = c/n; pass@5 = 1 - C(n-c,5)/C(n,5): c=3 -> 1 - 21/252, c=1 -> 1 - 126/252, c=10 -> 1.
  CHECK(near(m["pass@1,create_test"]["mean"], (0.3 + 0.1 + 1.0) / 3));
  CHECK(near(m["pass@5,create_test"]["mean"], ((1 - 21.0 / 252) + 0.5 + 1.0) / 3));
  CHECK(near(m["pass@10,create_test"]["mean"], 1.0));
  fs::remove_all(dir);
}
