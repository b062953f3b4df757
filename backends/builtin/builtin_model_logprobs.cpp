// BuiltinModel::prompt_logprobs: a token sequence's log-probabilities at every position (the
// echo + logprobs of `moebench serve`'s Completions), with the most likely alternatives.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "backends/builtin/builtin_model.h"
#include "common/error.h"

namespace moebench {
namespace {

// NOTE: every position's logits come back to the host, (rows, vocab) floats a forward: rows are
// capped so one forward returns at most 256 MB (519 rows of DeepSeek-V3's 129,280-token vocab).
constexpr size_t kMaxLogitFloats = size_t{64} << 20;

// log(sum(exp(row))), computed stably in double as logprob_of does.
double log_sum_exp(const float* row, int vocab) {
  double m = row[0];
  for (int i = 1; i < vocab; ++i) m = std::max(m, static_cast<double>(row[i]));
  double sum = 0.0;
  for (int i = 0; i < vocab; ++i) sum += std::exp(static_cast<double>(row[i]) - m);
  return m + std::log(sum);
}

// The top_n ids of a row by logit (the lower id first on ties) with their log-probabilities.
std::vector<std::pair<int, double>> top_of(const float* row, int vocab, int top_n, double lse) {
  std::vector<int> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  const int k = std::min(top_n, vocab);
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [row](int a, int b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
  std::vector<std::pair<int, double>> out;
  for (int i = 0; i < k; ++i) out.emplace_back(order[i], static_cast<double>(row[order[i]]) - lse);
  return out;
}

}  // namespace

TokenLogprobs BuiltinModel::prompt_logprobs(const std::vector<int>& ids, int top_n) {
  const int vocab = config_.vocab_size;
  if (ids.empty()) throw InputError("prompt_logprobs: the sequence is empty");
  for (int id : ids) {
    if (id < 0 || id >= vocab)
      throw InputError("prompt_logprobs: token id " + std::to_string(id) + " is outside [0, " +
                       std::to_string(vocab) + ")");
  }
  const int64_t n = static_cast<int64_t>(ids.size());
  if (n > max_context() || kv_need(n) > kv_free(0)) {
    throw InputError("prompt_logprobs: " + std::to_string(n) + " tokens do not fit the context (" +
                     std::to_string(max_context()) + ") or the free KV cache of " + device_name());
  }
  TokenLogprobs out;
  out.logprob.assign(ids.size(), std::numeric_limits<double>::quiet_NaN());
  out.top.resize(ids.size());
  Engine& engine = *engine_.engine;
  const int seq = engine.new_sequence();
  try {
    const size_t step = std::max<size_t>(
        1, std::min<size_t>(limits_.max_step_tokens, kMaxLogitFloats / static_cast<size_t>(vocab)));
    for (size_t start = 0; start + 1 < ids.size(); start += step) {
      // Positions [start, end) predict tokens start+1 .. end; the last token predicts nothing.
      const size_t end = std::min(start + step, ids.size() - 1);
      const std::vector<float> rows =
          engine.forward({{seq, std::vector<int>(ids.begin() + start, ids.begin() + end), true}});
      for (size_t p = start; p < end; ++p) {
        const float* row = rows.data() + (p - start) * vocab;  // (end - start, vocab)
        const double lse = log_sum_exp(row, vocab);
        out.logprob[p + 1] = static_cast<double>(row[ids[p + 1]]) - lse;
        if (!std::isfinite(out.logprob[p + 1])) {
          throw NonFiniteLogits(non_finite_error("prompt position " + std::to_string(p + 1)));
        }
        if (top_n > 0) out.top[p + 1] = top_of(row, vocab, top_n, lse);
      }
    }
  } catch (...) {
    engine.free_sequence(seq);
    throw;
  }
  engine.free_sequence(seq);
  return out;
}

}  // namespace moebench
