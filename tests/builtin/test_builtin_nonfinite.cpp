// A checkpoint whose forward pass gives NaN (or infinite) logits is an error, never a score: a
// reviewer's NaN checkpoint scored MMLU 28.95% (every loglik null, pred 'A'), 0 errors, exit 0, and
// generated token 0 until max_tokens.
#include <algorithm>
#include <cmath>

#include "backends/builtin/builtin_backend.h"
#include "backends/builtin/builtin_model.h"
#include "tests/builtin/builtin_test_util.h"
#include "tests/catch.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

BuiltinLoadOptions one_cpu_thread() {
  BuiltinLoadOptions o;
  o.threads = 1;
  o.device = "cpu";
  return o;
}

}  // namespace

TEST_CASE("builtin: NaN logits make a loglikelihood item an error naming the checkpoint",
          "[builtin]") {
  const fs::path dir = nan_checkpoint("mixtral");
  auto m = BuiltinModel::load(dir, one_cpu_thread());
  const auto got = m->loglikelihood({{"Question: 2+2?\nAnswer:", {" 4", " five"}}});
  REQUIRE(got.size() == 1);
  CHECK(got[0].error.find(dir.string() + ": the forward pass gave NaN or infinite logits") == 0);
}

TEST_CASE("builtin: NaN logits end a generation with an error, not token 0", "[builtin]") {
  auto m = BuiltinModel::load(nan_checkpoint("mixtral"), one_cpu_thread());
  for (const double temperature : {0.0, 1.0}) {
    GenerateRequest r;
    r.prompt = m->encode_text("Once upon a time", false);
    r.max_tokens = 8;
    r.sampling.temperature = temperature;
    const GenerateResult g = m->generate({r})[0];
    INFO("temperature " << temperature);
    CHECK(g.finish_reason == "error");
    CHECK(g.non_finite);
    CHECK(g.error.find("NaN or infinite logits") != std::string::npos);
  }
  CHECK_THROWS_AS(m->prompt_logprobs(m->encode_text("Once upon a time", false), 0),
                  NonFiniteLogits);
}

TEST_CASE("builtin: the backend answers NaN logits with a non_finite error", "[builtin]") {
  BuiltinBackendOptions o;
  o.threads = 1;
  o.device = "cpu";
  BuiltinBackend backend(nan_checkpoint("qwen3_moe"), o);
  Request ll;
  ll.prompt = "Question: 2+2?\nAnswer:";
  ll.continuations = {" 4", " five"};
  Request gen;
  gen.prompt = "Question: 2+2?\nAnswer:";
  gen.generation.max_tokens = 4;
  gen.generation.n_samples = 2;
  const std::vector<Response> out = backend.run({ll, gen});
  REQUIRE(out.size() == 2);
  for (const Response& r : out) {
    REQUIRE(r.error);
    CHECK(r.error->type == ErrorType::non_finite);
    CHECK(r.error->message.find("NaN or infinite logits") != std::string::npos);
    CHECK(r.logliks.empty());
    CHECK(r.texts.empty());
  }
}

// The run scores nothing from such a checkpoint: every sample failed, exit 4, type named.
TEST_CASE("builtin: moebench run on a NaN checkpoint fails its samples (exit 4)", "[builtin]") {
  const fs::path dir = temp_dir("builtin-nan-run");
  const fs::path model = nan_checkpoint("deepseek_v3");
  const CommandResult r = run_command(moebench_bin() + " run --backend builtin:" + model.string() +
                                          " --samples --suites arc_challenge --limit 2 --no-cache "
                                          "--no-progress --results-dir '" +
                                          (dir / "results").string() + "'",
                                      dir);
  INFO(r.output);
  CHECK(r.exit_code == 4);
  CHECK(r.output.find("non_finite") != std::string::npos);
  CHECK(r.output.find(model.string() + ": the forward pass gave NaN") != std::string::npos);
}
