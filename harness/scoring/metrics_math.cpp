// The MATH filters (minerva_answer, minerva_answer_unnormalized, minerva_normalize,
// math_answer_cleanup, hendrycks_answer) and metrics (minerva_equiv, math_string_match,
// cloze_equiv, cloze_string_match, hendrycks_is_equiv), registered by scoring_register_math().
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/scoring/builtins.h"
#include "harness/scoring/hendrycks_math.h"
#include "harness/scoring/math_answer_cleanup.h"
#include "harness/scoring/math_cloze.h"
#include "harness/scoring/math_equiv.h"
#include "harness/scoring/math_normalize.h"
#include "harness/scoring/registry.h"

namespace moebench {
namespace {

// The boxed answer of a solution, unwrapped; nullopt where lm-eval would raise (no box, or an
// `\fbox`, which remove_boxed asserts against).
std::optional<std::string> solution_boxed_answer(const std::string& solution) {
  std::optional<std::string> boxed = last_boxed_only_string(solution);
  if (!boxed) return std::nullopt;
  return remove_boxed(*boxed);
}

// A filter step applying `fn` to every response; it takes no arguments.
FilterFactory map_filter(std::function<std::string(const std::string&)> fn) {
  return [fn](const nlohmann::json& args, const std::string& where) -> FilterStep {
    scoring_check_args(args, where, {});
    return [fn](std::vector<std::string> responses, const FilterContext&) {
      for (auto& r : responses) r = fn(r);
      return responses;
    };
  };
}

// A metric comparing each prediction with a gold derived from the target: value = mean of the
// per-prediction verdicts (n = 1 greedy gives 0 or 1); detail names gold and first prediction.
// A target without a usable `\boxed{}` scores 0 with an "error" in the detail (lm-eval crashes).
MetricDef gold_metric(std::string name,
                      std::function<std::optional<std::string>(const std::string&)> gold_of,
                      std::function<bool(const std::string&, const std::string&)> same) {
  MetricDef def;
  def.name = name;
  def.higher_is_better = true;
  def.make = [gold_of, same](const nlohmann::json& args, const std::string& where) -> MetricFn {
    scoring_check_args(args, where, {});
    return [gold_of, same](const MetricInput& in) {
      MetricValue out;
      std::optional<std::string> gold = gold_of(in.target);
      const std::vector<std::string> none;
      const auto& preds = in.predictions ? *in.predictions : none;
      out.detail["gold"] = gold ? nlohmann::json(*gold) : nlohmann::json();
      out.detail["pred"] = preds.empty() ? nlohmann::json() : nlohmann::json(preds[0]);
      if (!gold) {
        out.detail["error"] = "target has no \\boxed{...} answer";
        return out;
      }
      if (preds.empty()) return out;
      double sum = 0;
      for (const auto& p : preds) sum += same(p, *gold) ? 1.0 : 0.0;
      out.value = sum / static_cast<double>(preds.size());
      return out;
    };
  };
  return def;
}

std::optional<std::string> minerva_gold(const std::string& solution) {
  std::optional<std::string> answer = solution_boxed_answer(solution);
  if (!answer) return std::nullopt;
  return minerva_normalize_final_answer(*answer);
}

}  // namespace

void scoring_register_math() {
  filter_register("minerva_answer", map_filter([](const std::string& r) {
                    return minerva_normalize_final_answer(minerva_get_unnormalized_answer(r));
                  }));
  // The answer as written, for metrics that normalize it themselves (cloze_*: per blank).
  filter_register("minerva_answer_unnormalized", map_filter(minerva_get_unnormalized_answer));
  // minerva's normalize_final_answer alone, for answers another step extracted (the chat profile's
  // "Answer: ..." line).
  filter_register("minerva_normalize", map_filter([](const std::string& r) {
                    return minerva_normalize_final_answer(r);
                  }));
  // Chat formatting (markdown, \( \), a final period, √, π) off an "Answer:" line, before
  // minerva_normalize or a cloze metric: what simple-evals' grader model would look past.
  filter_register("math_answer_cleanup", map_filter(math_answer_cleanup));
  filter_register("hendrycks_answer", map_filter(hendrycks_extract_answer));
  metric_register(gold_metric(
      "minerva_equiv", minerva_gold,
      [](const std::string& p, const std::string& g) { return math_equivalent(p, g); }));
  metric_register(gold_metric("math_string_match", minerva_gold,
                              [](const std::string& p, const std::string& g) { return p == g; }));
  // Several blanks and equation answers (agieval_gaokao_mathcloze): both sides as written, the
  // comparison normalizes blank by blank; gold and pred in the detail are as written.
  metric_register(gold_metric(
      "cloze_equiv", solution_boxed_answer,
      [](const std::string& p, const std::string& g) { return cloze_answers_match(p, g, true); }));
  metric_register(gold_metric(
      "cloze_string_match", solution_boxed_answer,
      [](const std::string& p, const std::string& g) { return cloze_answers_match(p, g, false); }));
  metric_register(gold_metric(
      "hendrycks_is_equiv", solution_boxed_answer,
      [](const std::string& p, const std::string& g) { return hendrycks_is_equiv(p, g); }));
}

}  // namespace moebench
