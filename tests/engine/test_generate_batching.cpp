// BuiltinModel's continuous batching: greedy results do not depend on how many sequences run
// together, on split prefills, or on a KV cap that serializes admission; loglikelihood groups;
// Engine::forward_sample's default and start_sample / finish_sample over it (the next step started
// before the last one's ids are read); the Sampler draw counter; device strings.
#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/builtin/builtin_model.h"
#include "backends/builtin/checkpoint/model_init.h"
#include "backends/builtin/engine/cpu/engine_cpu.h"
#include "backends/builtin/engine/cuda/engine_cuda.h"
#include "backends/builtin/engine_select.h"
#include "common/error.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
namespace fs = std::filesystem;

namespace {

fs::path tiny_checkpoint(const std::string& family) {
  static std::map<std::string, fs::path> made;
  if (made.count(family)) return made[family];
  ModelInitOptions o;
  o.family = model_family_parse(family, "test");
  o.preset = "tiny";
  o.out_dir = testing::temp_dir("batching-" + family) / "model";
  o.training_text_dir = fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  model_init_write(o);
  return made[family] = o.out_dir;
}

std::unique_ptr<BuiltinModel> load_cpu(const std::string& family) {
  BuiltinLoadOptions o;
  o.threads = 1;
  o.device = "cpu";
  return BuiltinModel::load(tiny_checkpoint(family), o);
}

// Ragged requests: one-token and long prompts, 0 to 13 new tokens, a stop string.
std::vector<GenerateRequest> ragged_requests(const BuiltinModel& m) {
  const std::vector<std::string> prompts = {
      "Once upon a time",
      "Q",
      "Question: What is the capital of France? Answer with one word, then explain why the "
      "city grew where it did.",
      "1 + 1 =",
      "The quick brown fox",
      "def f(x):",
      "In the beginning there was"};
  const std::vector<int> max_tokens = {13, 1, 9, 0, 7, 11, 5};
  std::vector<GenerateRequest> out;
  for (size_t i = 0; i < prompts.size(); ++i) {
    GenerateRequest r;
    r.prompt = m.encode_text(prompts[i], false);
    if (r.prompt.empty()) r.prompt = {1};
    r.max_tokens = max_tokens[i];
    if (i == 4) r.stop = {"e"};
    out.push_back(r);
  }
  return out;
}

void check_same(const std::vector<GenerateResult>& want, const std::vector<GenerateResult>& got) {
  REQUIRE(want.size() == got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("request " << i);
    CHECK(got[i].tokens == want[i].tokens);
    CHECK(got[i].text == want[i].text);
    CHECK(got[i].finish_reason == want[i].finish_reason);
  }
}

}  // namespace

TEST_CASE("generate: greedy results do not depend on max_active or split prefills", "[batching]") {
  for (const char* family : {"deepseek_v2", "qwen3_moe"}) {
    INFO(family);
    auto m = load_cpu(family);
    CHECK(m->device_name() == "cpu");
    const std::vector<GenerateRequest> reqs = ragged_requests(*m);
    // The reference: every request alone.
    std::vector<GenerateResult> want;
    for (const GenerateRequest& r : reqs) want.push_back(m->generate({r})[0]);
    CHECK(want[3].tokens.empty());
    CHECK(want[3].finish_reason == "length");
    CHECK(want[1].tokens.size() == 1);
    for (GenerateLimits l :
         {GenerateLimits{1, 8192}, GenerateLimits{3, 8192}, GenerateLimits{64, 8192},
          GenerateLimits{3, 4}, GenerateLimits{1, 1}, GenerateLimits{2, 7},
          // The next step started before the last one's ids are read (as on CUDA).
          GenerateLimits{1, 8192, 0, 2}, GenerateLimits{64, 8192, 0, 2}, GenerateLimits{3, 4, 0, 2},
          GenerateLimits{1, 1, 0, 2}, GenerateLimits{2, 7, 0, 2}}) {
      INFO("max_active " << l.max_active << ", max_step_tokens " << l.max_step_tokens
                         << ", steps_in_flight " << l.steps_in_flight);
      m->set_limits(l);
      std::vector<std::string> streamed(reqs.size());
      auto got = m->generate(reqs, [&](size_t i, const std::string& s) { streamed[i] += s; });
      check_same(want, got);
      for (size_t i = 0; i < reqs.size(); ++i) CHECK(streamed[i] == got[i].text);
    }
  }
}

// A server's new arrivals join the running call (GenerateCallbacks::more): they run beside the
// long request already decoding, give their greedy results alone, and end as they finish.
TEST_CASE("generate: requests that join a running call run beside it and end first when shorter",
          "[batching]") {
  auto m = load_cpu("qwen3_moe");
  GenerateRequest long_one;
  long_one.prompt = m->encode_text("Once upon a time", false);
  long_one.max_tokens = 24;
  long_one.ignore_eos = true;
  GenerateRequest short_one;
  short_one.prompt = m->encode_text("1 + 1 =", false);
  short_one.max_tokens = 2;
  short_one.ignore_eos = true;
  GenerateRequest empty;  // cannot run: ends alone, the others go on
  empty.max_tokens = 3;
  const GenerateResult long_alone = m->generate({long_one})[0];
  const GenerateResult short_alone = m->generate({short_one})[0];
  const int64_t kv_free_before = m->engine().free_kv_tokens();
  for (int depth : {1, 2}) {
    INFO("steps_in_flight " << depth);
    m->set_limits(GenerateLimits{4, 8192, 0, depth});
    int polls = 0;
    std::vector<size_t> order;
    std::vector<std::string> streamed(3);
    GenerateCallbacks cb;
    cb.on_text = [&](size_t i, const std::string& s) { streamed.at(i) += s; };
    cb.on_done = [&](size_t i, const GenerateResult&) { order.push_back(i); };
    cb.more = [&] {
      return ++polls == 1 ? std::vector<GenerateRequest>{short_one, empty}
                          : std::vector<GenerateRequest>{};
    };
    std::vector<GenerateResult> got = m->generate({long_one}, cb);
    REQUIRE(got.size() == 3);
    CHECK(polls > 1);
    CHECK(order == std::vector<size_t>{2, 1, 0});
    CHECK(got[0].tokens == long_alone.tokens);
    CHECK(got[1].tokens == short_alone.tokens);
    CHECK(got[1].text == streamed[1]);
    CHECK(got[2].finish_reason == "error");
    CHECK(got[2].error == "generate: request 2 has an empty prompt");
    CHECK(got[2].tokens.empty());
    // Cancelled once the short one ended: it stops there, its tokens a prefix of its own.
    polls = 0;
    order.clear();
    cb.cancelled = [&](size_t i) { return i == 0 && order.size() == 2; };
    got = m->generate({long_one}, cb);
    CHECK(order == std::vector<size_t>{2, 1, 0});
    CHECK(got[0].finish_reason == "cancelled");
    REQUIRE(got[0].tokens.size() < long_alone.tokens.size());
    CHECK(std::equal(got[0].tokens.begin(), got[0].tokens.end(), long_alone.tokens.begin()));
    CHECK(m->engine().free_kv_tokens() == kv_free_before);
  }
}

TEST_CASE("generate: a KV cap admits requests one at a time and refuses one that cannot fit",
          "[batching]") {
  auto m = load_cpu("qwen3_moe");
  std::vector<GenerateRequest> reqs = ragged_requests(*m);
  const std::vector<GenerateResult> want = m->generate(reqs);
  // Room for the largest request: one that cannot share the cap with its predecessor waits until
  // that one has finished (admission is in order).
  int64_t largest = 0;
  for (const GenerateRequest& r : reqs) {
    largest = std::max<int64_t>(largest, static_cast<int64_t>(r.prompt.size()) + r.max_tokens);
  }
  GenerateLimits l;
  l.max_kv_tokens = largest;
  m->set_limits(l);
  const std::vector<GenerateResult> got = m->generate(reqs);
  check_same(want, got);
  auto need = [&](size_t i) {
    return static_cast<int64_t>(reqs[i].prompt.size()) + reqs[i].max_tokens;
  };
  int serialized = 0;
  for (size_t i = 0; i + 1 < reqs.size(); ++i) {
    if (reqs[i].max_tokens == 0 || reqs[i + 1].max_tokens == 0) continue;
    if (need(i) + need(i + 1) <= largest) continue;  // both fit at once
    INFO("request " << i);
    CHECK(got[i].total_s <= got[i + 1].ttft_s);
    ++serialized;
  }
  CHECK(serialized >= 1);
  reqs[2].max_tokens = static_cast<int>(largest);  // now needs more than the cap
  try {
    m->generate(reqs);
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("request 2 needs") != std::string::npos);
  }
  // Nothing leaked: a fitting batch runs again afterwards.
  reqs[2].max_tokens = 9;
  check_same(want, m->generate(reqs));
}

TEST_CASE("generate: request errors name the request", "[batching]") {
  auto m = load_cpu("qwen3_moe");
  GenerateRequest ok;
  ok.prompt = {1, 2, 3};
  GenerateRequest empty;
  try {
    m->generate({ok, empty});
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("request 1") != std::string::npos);
  }
  CHECK_THROWS_AS(m->set_limits(GenerateLimits{0, 8}), InputError);
  CHECK_THROWS_AS(m->set_limits(GenerateLimits{8, 4}), InputError);
  CHECK_THROWS_AS(m->set_limits(GenerateLimits{8, 8, 0, 3}), InputError);
  CHECK_THROWS_AS(m->set_limits(GenerateLimits{65, 8192}), std::invalid_argument);
}

TEST_CASE("loglikelihood: groups of max_active items give the same scores", "[batching]") {
  auto m = load_cpu("deepseek_v2");
  const std::vector<BuiltinModel::LoglikItem> items = {
      {"Question: 2 + 2 =", {" 4", " five", " 22"}},
      {"", {"Hello"}},
      {"The sky is", {" blue", " green"}},
      {"A", {" B C D E"}}};
  const auto want = m->loglikelihood(items);
  for (GenerateLimits l : {GenerateLimits{1, 8192}, GenerateLimits{3, 8192}}) {
    m->set_limits(l);
    const auto got = m->loglikelihood(items);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < items.size(); ++i) {
      CHECK(got[i].prompt_tokens == want[i].prompt_tokens);
      for (size_t j = 0; j < want[i].logliks.size(); ++j) {
        CHECK(std::abs(got[i].logliks[j] - want[i].logliks[j]) < 1e-5);
      }
    }
  }
}

TEST_CASE("Engine::forward_sample draws from the last row of each chunk", "[batching]") {
  auto m = load_cpu("qwen3_moe");
  const ModelConfig& c = m->config();
  ModelWeights w = model_weights_load(m->dir(), c);
  CpuEngine a(c, w, 1), b(c, w, 1);
  const std::vector<std::vector<int>> prompts = {{5}, {7, 8, 9, 10, 11}, {3, 4}};
  std::vector<EngineChunk> ca, cb;
  for (const auto& p : prompts) {
    ca.push_back({a.new_sequence(), p, true});  // all_logits is ignored by forward_sample
    cb.push_back({b.new_sequence(), p, false});
  }
  std::vector<Sampler> greedy(prompts.size(), Sampler(SamplingParams{}));
  std::vector<Sampler*> samplers;
  for (Sampler& s : greedy) samplers.push_back(&s);
  const std::vector<int> ids = a.forward_sample(ca, samplers);
  const std::vector<float> logits = b.forward(cb);  // (3, vocab)
  REQUIRE(ids.size() == prompts.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const float* row = logits.data() + i * c.vocab_size;
    CHECK(ids[i] == static_cast<int>(std::max_element(row, row + c.vocab_size) - row));
    CHECK(greedy[i].next_draw() == 1);  // sample() counted one draw
  }
  CHECK(a.cache_len(ca[1].seq) == 5);
  CHECK(a.device_name() == "cpu");
  CHECK_THROWS_AS(a.forward_sample(ca, {samplers[0]}), std::invalid_argument);
}

TEST_CASE("Engine::start_sample feeds the previous draw as kSampledToken, finish_sample in order",
          "[batching]") {
  auto m = load_cpu("qwen3_moe");
  const ModelConfig& c = m->config();
  ModelWeights w = model_weights_load(m->dir(), c);
  CpuEngine a(c, w, 1), b(c, w, 1);
  std::vector<Sampler> greedy(2, Sampler(SamplingParams{}));
  std::vector<Sampler*> samplers = {&greedy[0], &greedy[1]};
  const int sa0 = a.new_sequence(), sa1 = a.new_sequence();
  const int sb0 = b.new_sequence(), sb1 = b.new_sequence();
  // b, step by step with forward_sample; a, two steps in flight fed by kSampledToken.
  std::vector<int> ids = b.forward_sample({{sb0, {5, 6}, false}, {sb1, {7}, false}}, samplers);
  std::vector<std::vector<int>> want = {ids};
  for (int step = 0; step < 3; ++step) {
    ids = b.forward_sample({{sb0, {ids[0]}, false}, {sb1, {ids[1]}, false}}, samplers);
    want.push_back(ids);
  }
  a.start_sample({{sa0, {5, 6}, false}, {sa1, {7}, false}}, samplers);
  std::vector<std::vector<int>> got;
  for (int step = 0; step < 3; ++step) {
    a.start_sample({{sa0, {kSampledToken}, false}, {sa1, {kSampledToken}, false}}, samplers);
    CHECK_THROWS_AS(a.start_sample({{sa0, {kSampledToken}, false}}, samplers), std::logic_error);
    got.push_back(a.finish_sample());
  }
  got.push_back(a.finish_sample());
  CHECK(got == want);
  CHECK(a.cache_len(sa0) == 5);
  CHECK_THROWS_AS(a.finish_sample(), std::logic_error);
  const int fresh = a.new_sequence();  // drew nothing in the last step
  std::string why;
  try {
    a.start_sample({{fresh, {kSampledToken}, false}}, {samplers[0]});
  } catch (const std::invalid_argument& e) {
    why = e.what();
  }
  CHECK(why.find("chunk 0 (seq " + std::to_string(fresh) + ") feeds the sampled token") !=
        std::string::npos);
}

TEST_CASE("Sampler: params and the draw counter", "[batching]") {
  Sampler s(SamplingParams{0.7, 0.9, 5, 42});
  CHECK(s.params().temperature == 0.7);
  CHECK(s.params().top_k == 5);
  CHECK(s.params().seed == 42);
  CHECK(s.next_draw() == 0);
  CHECK(s.next_draw() == 1);
  const std::vector<float> row = {0.1f, 0.5f, 0.2f};
  s.sample(row.data(), 3);
  CHECK(s.next_draw() == 3);
}

TEST_CASE("engine devices: parsing and resolution", "[batching]") {
  CHECK(engine_device_parse("auto").is_auto);
  CHECK_FALSE(engine_device_parse("cpu").device.cuda);
  CHECK(engine_device_parse("cuda").device.cuda);
  CHECK(engine_device_parse("cuda:3").device.ordinal == 3);
  for (const char* bad : {"gpu", "CPU", "cuda:", "cuda:x", "cuda:-1", "cuda:1a", ""}) {
    INFO(bad);
    CHECK_THROWS_AS(engine_device_parse(bad), InputError);
  }
  CHECK_FALSE(engine_device_resolve("cpu").cuda);
#ifdef MOEBENCH_HAVE_CUDA
  if (!cuda_engine_available()) {
    CHECK_FALSE(engine_device_resolve("auto").cuda);
    CHECK_THROWS_WITH(engine_device_resolve("cuda"), "--device cuda: no CUDA device found");
  }
#else
  CHECK_FALSE(engine_device_resolve("auto").cuda);
  CHECK_THROWS_WITH(engine_device_resolve("cuda:1"), "--device cuda:1: this build has no CUDA");
  auto m = BuiltinModel::load(tiny_checkpoint("qwen3_moe"), BuiltinLoadOptions{});
  CHECK(m->device_name() == "cpu");
#endif
}
