// `moebench model bench` as the end-to-end engine benchmark: prefill and decode tokens/s, TTFT and
// TPOT for every (context length, batch size) pair, on the CPU engine with a tiny checkpoint.
#include <fstream>
#include <nlohmann/json.hpp>

#include "backends/builtin/checkpoint/model_init.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using namespace moebench::testing;

TEST_CASE("cli model bench reports TTFT and TPOT over context lengths and batch sizes") {
  const fs::path dir = temp_dir("model-bench");
  ModelInitOptions o;
  o.family = model_family_parse("olmoe", "test");
  o.preset = "tiny";
  o.out_dir = dir / "model";
  o.training_text_dir = fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  model_init_write(o);
  const fs::path json_file = dir / "bench.json";
  const CommandResult r = run_command(
      moebench_bin() + " model bench " + o.out_dir.string() +
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
  ModelInitOptions o;
  o.family = model_family_parse("olmoe", "test");
  o.preset = "tiny";
  o.out_dir = dir / "model";
  o.training_text_dir = fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  o.overrides = {{"max_position_embeddings", 64}};
  model_init_write(o);
  auto bench = [&](const std::string& prefill) {
    return run_command(moebench_bin() + " model bench " + o.out_dir.string() +
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
