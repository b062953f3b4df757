// Parity with HF transformers: tiny random models saved by transformers (scripts/hf/
// make_fixtures.py) must give the same last-position logits (max relative error <= 1e-4 in f32)
// and the same 32-token greedy continuations on the CPU engine.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/checkpoint/model_weights.h"
#include "backends/builtin/engine/cpu/engine_cpu.h"
#include "tests/catch.h"

namespace fs = std::filesystem;
using namespace moebench;

namespace {

const fs::path kFixtures = fs::path(MOEBENCH_SOURCE_DIR) / "tests/fixtures/hf/parity";

int argmax(const float* row, int n) {
  return static_cast<int>(std::max_element(row, row + n) - row);
}

// Max |ours - ref| over max |ref|: the error relative to the logits' scale.
double max_rel_error(const std::vector<float>& ours, const std::vector<double>& ref) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(ours[i]) - ref[i]));
    scale = std::max(scale, std::abs(ref[i]));
  }
  return diff / scale;
}

void check_fixture(const fs::path& dir) {
  const ModelConfig config = model_config_load(dir / "config.json");
  const ModelWeights weights = model_weights_load(dir, config);
  std::ifstream in(dir / "reference.json");
  const nlohmann::json ref = nlohmann::json::parse(in);
  CpuEngine engine(config, weights, 1);
  const int vocab = config.vocab_size;
  double worst = 0;
  for (const auto& prompt : ref["prompts"]) {
    const std::vector<int> ids = prompt["input_ids"];
    const std::vector<double> expect = prompt["last_logits"];
    REQUIRE(expect.size() == static_cast<size_t>(vocab));
    int seq = engine.new_sequence();
    std::vector<float> logits = engine.forward({{seq, ids, false}});
    const double err = max_rel_error(logits, expect);
    worst = std::max(worst, err);
    INFO(dir.filename().string() << " prompt of " << ids.size() << " tokens: rel err " << err);
    CHECK(err <= 1e-4);
    // Greedy continuation through the KV cache, one token at a time.
    std::vector<int> got;
    const std::vector<int> want = prompt["greedy"];
    for (size_t t = 0; t < want.size(); ++t) {
      int next = argmax(logits.data(), vocab);
      got.push_back(next);
      logits = engine.forward({{seq, {next}, false}});
    }
    CHECK(got == want);
    engine.free_sequence(seq);
  }
  std::printf("hf parity %-20s max rel err %.2e over %zu prompts, greedy %zu tokens each: %s\n",
              dir.filename().c_str(), worst, ref["prompts"].size(),
              ref["prompts"][0]["greedy"].size(), worst <= 1e-4 ? "ok" : "FAIL");
}

}  // namespace

#define HF_PARITY_CASE(name)                                                               \
  TEST_CASE("HF parity: " name " matches transformers (logits, greedy)", "[engine][hf]") { \
    check_fixture(kFixtures / name);                                                       \
  }

HF_PARITY_CASE("deepseek_v3")
HF_PARITY_CASE("deepseek_v3_noqlora")
HF_PARITY_CASE("deepseek_v2")
HF_PARITY_CASE("deepseek_v2_group")
HF_PARITY_CASE("qwen3_moe")
HF_PARITY_CASE("qwen2_moe")
HF_PARITY_CASE("mixtral")
HF_PARITY_CASE("olmoe")

TEST_CASE("HF parity: every fixture directory has a test case", "[engine][hf]") {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(kFixtures)) n += e.is_directory();
  CHECK(n == 8);
}
