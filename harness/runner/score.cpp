// score_all / aggregate_all.
#include "harness/runner/score.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "common/thinking.h"
#include "harness/runner/progress.h"

namespace moebench {
namespace {

// Reasoning out of the answer, before any filter sees it: inline thinking (common/thinking's rule)
// moves into the response's reasoning (beside what an API returned apart, e.g. reasoning_content).
// A sample stopped while thinking (truncated_thinking) when its thinking was still open at the end
// of its text, or, thinking returned apart, when the token limit ended it before any answer
// (finish_reason length). A closed thinking with no answer after it is no answer, not truncated.
// A sample thought when its thinking holds more than whitespace, or stopped while thinking: an
// empty block (Qwen3's `<think>\n\n</think>` when thinking is off) is kept as an empty reasoning
// but is no thinking, so a rescore, which serves it back as that block, counts it alike.
void separate_thinking(Response* resp, DocScore* score) {
  for (size_t i = 0; i < resp->texts.size(); ++i) {
    ThinkingSplit split = thinking_split(resp->texts[i]);
    const bool apart = i < resp->reasoning.size() && !thinking_blank(resp->reasoning[i]);
    if (split.has_thinking) {
      resp->reasoning.resize(resp->texts.size());
      std::string& r = resp->reasoning[i];
      r += (r.empty() || split.thinking.empty() ? "" : "\n") + split.thinking;
      resp->texts[i] = std::move(split.answer);
    }
    const bool no_answer = thinking_blank(resp->texts[i]);
    const bool cut = i < resp->finish_reasons.size() && resp->finish_reasons[i] == "length";
    const bool truncated = no_answer && (split.open || (apart && !split.has_thinking && cut));
    score->thinking |=
        apart || (split.has_thinking && !thinking_blank(split.thinking)) || truncated;
    score->truncated_thinking |= truncated;
  }
}

// run.json's thinking counts documents: each flagged when one of its samples or repeats (its
// consecutive scores under --repeats) is.
void count_thinking_documents(SuiteRun* run) {
  run->thinking_samples = run->truncated_thinking = 0;
  const size_t per = static_cast<size_t>(std::max(1, run->repeats));
  for (size_t d = 0; d < run->scores.size(); d += per) {
    bool thought = false, truncated = false;
    for (size_t k = d; k < std::min(d + per, run->scores.size()); ++k) {
      thought |= run->scores[k].thinking;
      truncated |= run->scores[k].truncated_thinking;
    }
    run->thinking_samples += thought;
    run->truncated_thinking += truncated;
  }
}

}  // namespace

void score_all(std::vector<SuiteRun>& runs, Sandbox* sandbox, int threads, bool show_progress) {
  struct Item {
    size_t suite, doc;
  };
  std::vector<Item> items;
  for (size_t s = 0; s < runs.size(); ++s) {
    runs[s].scores.assign(runs[s].docs.size(), DocScore{});
    for (size_t d = 0; d < runs[s].docs.size(); ++d) items.push_back({s, d});
  }
  bool show = show_progress && sandbox != nullptr;  // only code execution is slow enough for a bar
  Progress progress("scoring", static_cast<long>(items.size()), show);
  std::atomic<size_t> next{0};
  std::mutex mu;
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < items.size();) {
      SuiteRun& run = runs[items[i].suite];
      size_t d = items[i].doc;
      Response& resp = run.responses[d];
      if (!resp.error) {
        try {
          DocScore thinking;
          separate_thinking(&resp, &thinking);
          run.scores[d] =
              run.scorer->score(*run.docs[d], resp, sandbox, &run.requests[d].continuations);
          run.scores[d].thinking = thinking.thinking;
          run.scores[d].truncated_thinking = thinking.truncated_thinking;
        } catch (const std::exception& e) {
          resp.error = ResponseError{ErrorType::scoring, e.what()};
        }
      }
      if (sandbox) progress.add(1);
    }
  };
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  progress.finish();
  for (SuiteRun& run : runs) {
    run.errors.clear();
    for (const Response& r : run.responses) {
      if (r.error) ++run.errors[error_type_name(r.error->type)];
    }
    run.finish_reasons.clear();
    for (const Response& r : run.responses) {
      for (const std::string& why : r.finish_reasons) {
        if (!why.empty()) ++run.finish_reasons[why];
      }
    }
    count_thinking_documents(&run);
  }
}

void aggregate_all(std::vector<SuiteRun>& runs) {
  for (SuiteRun& run : runs) {
    run.metrics.clear();
    run.groups.clear();
    run.repeat_means.clear();
    const size_t per = static_cast<size_t>(std::max(1, run.repeats));
    std::vector<std::string> subjects;
    std::vector<double> weights;  // spec doc_weight: one per document
    for (size_t d = 0; d < run.docs.size(); d += per) {
      subjects.push_back(run.docs[d]->subject);
      weights.push_back(run.docs[d]->weight);
    }
    const bool weighted = !run.instance->spec().doc_weight.empty();
    for (const MetricKey& key : run.scorer->keys()) {
      const std::string id = key.id();
      std::vector<double> values;
      for (const DocScore& score : run.scores) {
        auto it = score.values.find(id);
        values.push_back(it == score.values.end() ? 0.0 : it->second);
      }
      std::vector<double> means;
      MetricAggregate a = aggregate_metric_repeats(values, run.repeats, subjects,
                                                   run.instance->spec().weight_by_subject, &means,
                                                   weighted ? &weights : nullptr);
      if (per > 1) run.repeat_means[id] = std::move(means);
      run.metrics[id] = a.overall;
      for (const auto& [subject, m] : a.groups) run.groups[subject][id] = m;
    }
  }
}

}  // namespace moebench
