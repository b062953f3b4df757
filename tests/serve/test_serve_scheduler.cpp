// ServeScheduler in this process over a tiny CPU model: a request queued while another generates
// joins it and is answered as soon as its own generation ends (it waited for the whole batch), and
// a cancelled job (its client went away) ends at its next step, keeping what it generated.
#include <string>

#include "backends/builtin/checkpoint/model_init.h"
#include "backends/builtin/serve/serve_scheduler.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;

namespace {

std::unique_ptr<BuiltinModel> tiny_model() {
  ModelInitOptions o;
  o.family = model_family_parse("qwen3_moe", "test");
  o.preset = "tiny";
  o.out_dir = testing::temp_dir("serve-scheduler") / "model";
  o.training_text_dir = std::filesystem::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  o.force = true;
  o.overrides["max_position_embeddings"] = 32768;  // room for the long request (see below)
  model_init_write(o);
  BuiltinLoadOptions load;
  load.threads = 1;
  load.device = "cpu";
  return BuiltinModel::load(o.out_dir, load);
}

GenerateRequest request(const BuiltinModel& m, const std::string& text, int max_tokens) {
  GenerateRequest r;
  r.prompt = m.encode_text(text, false);
  r.max_tokens = max_tokens;
  r.ignore_eos = true;
  return r;
}

}  // namespace

TEST_CASE(
    "serve scheduler: a queued request joins the running one and ends first, and cancel ends "
    "the long one",
    "[serve]") {
  auto model = tiny_model();
  ServeScheduler scheduler(*model, 4);
  // NOTE: the long request's 32,000 tokens are the margin, not a timing: the short one joins at
  // the long one's next step and ends 3 steps later, some 31,990 steps before the long one could.
  const int long_tokens = 32000;
  auto long_job = scheduler.submit(request(*model, "Once upon a time", long_tokens));
  std::string piece;
  REQUIRE(long_job->next(&piece));  // the long one is generating
  auto short_job = scheduler.submit(request(*model, "1 + 1 =", 3));
  std::string error;
  const GenerateResult short_result = short_job->wait(&error);
  CHECK(error.empty());
  CHECK(short_result.tokens.size() == 3);
  CHECK(short_result.finish_reason == "length");
  CHECK_FALSE(long_job->ended());
  long_job->cancel();
  const GenerateResult long_result = long_job->wait(&error);
  CHECK(error.empty());
  CHECK(long_result.finish_reason == "cancelled");
  CHECK(long_result.tokens.size() < static_cast<size_t>(long_tokens));
  // The scheduler goes on: a later request is answered in full.
  auto after = scheduler.submit(request(*model, "The quick brown fox", 4));
  CHECK(after->wait(&error).tokens.size() == 4);
  CHECK(error.empty());
}
