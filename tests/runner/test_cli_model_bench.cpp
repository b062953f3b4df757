// `moebench model bench` as the end-to-end engine benchmark: prefill and decode tokens/s, TTFT and
// TPOT for every (context length, batch size) pair, on the CPU engine with a tiny checkpoint.
#include <fstream>
#include <nlohmann/json.hpp>

#include "backends/builtin/checkpoint/model_init.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

// A checkpoint of `family`'s `preset` under dir/model, with config.json keys `overrides`.
fs::path write_checkpoint(const fs::path& dir, const char* family, const std::string& preset,
                          const nlohmann::json& overrides = nlohmann::json::object(),
                          const std::string& weights = "random") {
  ModelInitOptions o;
  o.family = model_family_parse(family, "test");
  o.preset = preset;
  o.out_dir = dir / "model";
  o.training_text_dir = fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  o.overrides = overrides;
  o.weights = weights;
  model_init_write(o);
  return o.out_dir;
}

}  // namespace

TEST_CASE("cli model bench reports TTFT and TPOT over context lengths and batch sizes") {
  const fs::path dir = temp_dir("model-bench");
  const fs::path model = write_checkpoint(dir, "olmoe", "tiny");
  const fs::path json_file = dir / "bench.json";
  const CommandResult r = run_command(
      moebench_bin() + " model bench " + model.string() +
          " --device cpu --threads 1 --batch 1 --batch 3 --prompt 8 --prompt 24 --tokens 4 "
          "--warmup 1 --json " +
          json_file.string(),
      dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("TTFT ms") != std::string::npos);
  std::ifstream in(json_file);
  const nlohmann::json j = nlohmann::json::parse(in);
  REQUIRE(j["runs"].size() == 4);  // contexts outer, batches inner
  const int want[4][2] = {{8, 1}, {8, 3}, {24, 1}, {24, 3}};
  for (size_t i = 0; i < 4; ++i) {
    const nlohmann::json& row = j["runs"][i];
    CHECK(row["prompt"] == want[i][0]);
    CHECK(row["batch"] == want[i][1]);
    // The timed prefill follows an untimed one of its shape (first-call costs stay out of TTFT).
    CHECK(row["prefill_warmup"] == 1);
    const double ttft_s = row["ttft_ms"].get<double>() / 1e3;
    REQUIRE(ttft_s > 0);
    // The prefill of batch x prompt tokens is the time to the first token.
    const double prefill_tps = row["prefill_tokens_per_s"].get<double>();
    CHECK(std::abs(prefill_tps * ttft_s - want[i][0] * want[i][1]) < 1e-6 * prefill_tps);
    // TPOT is one decode step: batch tokens per step.
    const double tpot_s = row["tpot_ms"].get<double>() / 1e3;
    CHECK(tpot_s == row["decode_ms_per_step"].get<double>() / 1e3);
    CHECK(std::abs(row["decode_tokens_per_s"].get<double>() * tpot_s - want[i][1]) <
          1e-6 * want[i][1]);
  }
}

// --prefill SEQSxLEN: a prefill of the whole context fits (it was refused as exceeding it), and a
// shape with trailing text is refused (std::stoi read "8x2k" as 8x2 and timed that, exit 0).
TEST_CASE("cli model bench takes a prefill of the whole context and refuses a malformed shape") {
  const fs::path dir = temp_dir("model-bench-prefill");
  const fs::path model = write_checkpoint(dir, "olmoe", "tiny", {{"max_position_embeddings", 64}});
  auto bench = [&](const std::string& prefill) {
    return run_command(moebench_bin() + " model bench " + model.string() +
                           " --device cpu --threads 1 --batch 1 --prompt 4 --tokens 2 --prefill " +
                           prefill + " --json " + (dir / "bench.json").string(),
                       dir);
  };
  const CommandResult whole = bench("2x64");
  INFO(whole.output);
  REQUIRE(whole.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(read_file(dir / "bench.json"));
  CHECK(j["prefill"]["seqs"] == 2);
  CHECK(j["prefill"]["len"] == 64);
  for (const char* bad : {"8x2k", "2x1e3", "x64", "2x", "2x65"}) {
    INFO(bad);
    const CommandResult r = bench(bad);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
    CHECK(r.output.find("--prefill") != std::string::npos);
  }
}

// The CPU engine holds every weight as f32 on the host: DeepSeek-V2-Lite's 15.7 B parameters are
// 62.8 GB. It allocated them one by one until "internal error: std::bad_alloc" (73 s under an
// 8 GB ulimit -v) or the OOM killer; now the load is refused first, naming both sizes.
TEST_CASE("cli model bench refuses a model that cannot fit in host memory before loading it") {
  const fs::path dir = temp_dir("model-bench-memory");
  const fs::path model =
      write_checkpoint(dir, "deepseek_v2", "v2-lite", nlohmann::json::object(), "dummy");
  const CommandResult r =
      run_command("(ulimit -v 8000000; " + moebench_bin() + " model bench " + model.string() +
                      " --device cpu --threads 1 --batch 1 --prompt 4 "
                      "--tokens 1)",
                  dir);
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  CHECK(r.output.find(model.string()) != std::string::npos);
  CHECK(r.output.find("62.8 GB") != std::string::npos);
  CHECK(r.output.find("--device cuda") != std::string::npos);
}
