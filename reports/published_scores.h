// Published scores (tasks/published_scores.json): what papers print for a model on one of our
// suites under one evaluation profile, with where it was printed; and a run's measured primary
// metric set against them (measured − published, inside the run's 95% CI or not).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "reports/suite_result.h"

namespace moebench {

constexpr int kPublishedScoresSchema = 1;

struct PublishedSource {
  std::string document;  // the paper ("DeepSeek-V3 Technical Report (arXiv 2412.19437)")
  std::string url;       // the page the number was checked against
  std::string table;     // section / table ("Table 3 (README §4 ...)")
  std::string row;       // the row label as printed ("GSM8K (EM), 8-shot")
  std::string column;    // the column label as printed ("DeepSeek-V3")
};

struct PublishedScore {
  std::string model;    // as a run's backend.published_as names it ("DeepSeek-V3-Base")
  std::string suite;    // our suite name (tasks/<area>/<suite>.json), never "suite@profile"
  std::string profile;  // the evaluation profile whose settings the paper used
  std::string metric;   // the published metric as printed ("EM", "Acc.", "Pass@1")
  double score = 0;     // percent, as published (0..100)
  PublishedSource source;
  std::string notes;  // where the paper's setting differs from our suite (items, split, shots)
};

struct PublishedScores {
  std::filesystem::path file;  // "" when no table was loaded
  std::vector<PublishedScore> entries;

  // The entries for `model` (ASCII case-insensitive) on the suite of `suite_key` ("gsm8k" or
  // "gsm8k@chat": the part before '@'), under `profile`, or under any profile when it is "".
  std::vector<const PublishedScore*> find(const std::string& model, const std::string& suite_key,
                                          const std::string& profile = "") const;
  bool has_model(const std::string& model) const;
};

// Parses the table's text; `where` names it in errors. InputError naming the field
// ("<where>: field 'entries[3].score': expected a number from 0 to 100") on a wrong type, an
// unknown or missing field, a score outside 0..100, a suite with '@', or a duplicate entry.
PublishedScores published_scores_parse(const std::string& text, const std::string& where);
// Reads and parses FILE (InputError when it cannot be read or is malformed).
PublishedScores published_scores_read(const std::filesystem::path& file);
// As published_scores_read, but an empty path or a missing file is an empty table: no published
// view, not an error.
PublishedScores published_scores_load(const std::filesystem::path& file);
// <tasks dir>/published_scores.json
std::filesystem::path published_scores_default_file(const std::filesystem::path& tasks_dir);

enum class PublishedVerdict { kWithinCi, kBelow, kAbove, kNotComparable, kNotMeasured, kTooFew };

// One published entry against one suite of a run. Scores in percent points.
struct PublishedComparison {
  const PublishedScore* published = nullptr;
  std::string suite_key;    // run.json's suites key ("gsm8k", "gsm8k@deepseek-v3-base")
  std::string run_profile;  // the profile the suite ran under
  std::string metric_id;    // the measured metric: the suite's primary
  // ci95: 1.96·stderr (none from fewer than 2 documents); delta: measured − published.
  std::optional<double> measured, ci95, delta;
  long n = 0;  // documents measured
  PublishedVerdict verdict = PublishedVerdict::kNotMeasured;
  // Under the paper's profile, why the run's setup is not the paper's (published_setup_differs):
  // the verdict is then kNotComparable with this reason.
  std::string other_setup;
  // "within CI", "below", "above", "not comparable (profile lm-eval vs deepseek-v3-base)",
  // "not measured", "too few documents (1): no standard error" (plain text; the caller escapes
  // it).
  std::string verdict_text() const;
};

// Why a run's options (run.json "options") are not a published setup: "the bundled samples",
// "--limit N", "--num-fewshot N" (the profile's own shots replaced), "--shard i/N" (an unmerged
// part of the data), ", "-joined; "" for none.
std::string published_setup_differs(const nlohmann::json& options);

// Why a suite was not scored by its completion-form profile's method (the backend had no
// log-likelihoods or no raw completion, and the run said so): "scored by generation where the
// profile uses log-likelihood" (a choice suite), "chat messages where the profile sends raw
// prompts", ", "-joined; "own data" for a suite read from an own copy of its dataset; "" for
// none, or when the run.json does not say.
std::string published_method_differs(const SuiteResult& suite);

// `suite` measured against `published`. Only a suite run under the entry's profile, in the
// paper's setup (`setup` empty, see published_setup_differs) and by the profile's method
// (published_method_differs), is compared: otherwise the verdict
// is kNotComparable and no difference is computed. Within CI
// when |delta| <= ci95 (a run with stderr 0 is within only on an exact match).
PublishedComparison published_compare(const PublishedScore& published, const SuiteResult& suite,
                                      const std::string& setup = "");
// Every entry of `model` for each suite of a run, in the run's suite order, then the table's.
std::vector<PublishedComparison> published_compare_suites(const PublishedScores& table,
                                                          const std::string& model,
                                                          const std::vector<SuiteResult>& suites,
                                                          const std::string& setup = "");

}  // namespace moebench
