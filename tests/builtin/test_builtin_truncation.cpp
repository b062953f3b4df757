// Continuation log-likelihoods of a context that does not fit the model, cut as lm-eval's
// HFLM._loglikelihood_tokens cuts them: each (context, continuation) pair on its own, keeping the
// last max_length + 1 tokens of context + continuation (the last one is not fed). A reviewer's
// qwen3_moe with 64 positions dropped one count of context tokens for every choice (by the
// longest continuation, one token more than lm-eval): logliks off by up to 1.67 nats.
#include <cmath>

#include "backends/builtin/builtin_model.h"
#include "tests/builtin/builtin_test_util.h"
#include "tests/catch.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

// lm-eval's value: (context + continuation)[-(max_length + 1):], the continuation scored after the
// context tokens left in it.
double lm_eval_loglik(BuiltinModel& m, const std::vector<int>& ctx, const std::vector<int>& cont) {
  std::vector<int> whole = ctx;
  whole.insert(whole.end(), cont.begin(), cont.end());
  const size_t keep = std::min(whole.size(), static_cast<size_t>(m.max_context()) + 1);
  const std::vector<int> kept_ctx(whole.end() - static_cast<long>(keep),
                                  whole.end() - static_cast<long>(cont.size()));
  return direct_loglik(m, kept_ctx, cont);
}

}  // namespace

TEST_CASE("builtin: a context too long is cut per continuation as lm-eval does", "[builtin]") {
  const fs::path dir =
      tiny_checkpoint("qwen3_moe", "trunc-qwen3", {{"max_position_embeddings", 32}});
  BuiltinLoadOptions o;
  o.threads = 1;
  o.device = "cpu";
  auto m = BuiltinModel::load(dir, o);
  REQUIRE(m->max_context() == 32);
  // Token ids through the tokenizer's own pieces: a context of words, continuations of 1..n words.
  std::string ctx = "Question:";
  while (m->encode_text(ctx, false).size() < 31) ctx += " the cat";
  const std::vector<int> ctx_ids = m->encode_text(ctx, false);
  const std::vector<std::string> conts = {" dog", " cat sat on the mat", " a b c d e f g h i j"};
  const auto got = m->loglikelihood({{ctx, conts}});
  REQUIRE(got.size() == 1);
  REQUIRE(got[0].error.empty());
  long most_dropped = 0;
  for (size_t j = 0; j < conts.size(); ++j) {
    const std::vector<int> whole = m->encode_text(ctx + conts[j], false);
    const std::vector<int> cont(whole.begin() + static_cast<long>(ctx_ids.size()), whole.end());
    const long dropped = std::max<long>(0, static_cast<long>(ctx_ids.size() + cont.size()) - 33);
    most_dropped = std::max(most_dropped, dropped);
    INFO("continuation " << j << ": " << ctx_ids.size() << " + " << cont.size() << " tokens");
    CHECK(std::abs(got[0].logliks[j] - lm_eval_loglik(*m, ctx_ids, cont)) < 1e-4);
  }
  // The sample records the most any of its continuations dropped.
  CHECK(got[0].truncated_tokens == most_dropped);
  CHECK(most_dropped > 0);
}

// Exactly max_length + 1 tokens of context + continuation fit: nothing is dropped.
TEST_CASE("builtin: context + continuation of max_length + 1 tokens is not cut", "[builtin]") {
  const fs::path dir =
      tiny_checkpoint("mixtral", "trunc-edge-mixtral", {{"max_position_embeddings", 32}});
  BuiltinLoadOptions o;
  o.threads = 1;
  o.device = "cpu";
  auto m = BuiltinModel::load(dir, o);
  // " x" words until context + " yes" is 33 tokens.
  std::string ctx = "Answer:";
  std::vector<int> ctx_ids, cont;
  for (;; ctx += " x") {
    ctx_ids = m->encode_text(ctx, false);
    const std::vector<int> whole = m->encode_text(ctx + " yes", false);
    cont.assign(whole.begin() + static_cast<long>(ctx_ids.size()), whole.end());
    if (ctx_ids.size() + cont.size() >= 33) break;
  }
  REQUIRE(ctx_ids.size() + cont.size() == 33);
  const auto got = m->loglikelihood({{ctx, {" yes"}}});
  CHECK(got[0].truncated_tokens == 0);
  CHECK(std::abs(got[0].logliks[0] - direct_loglik(*m, ctx_ids, cont)) < 1e-4);
}
