// Cost per 1M tokens: the formula on hand-computed values, the blend, reading model bench and
// run.json throughput, and `moebench cost` end to end with its JSON read back.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "reports/cost.h"
#include "tests/catch.h"
#include "tests/input_error_of.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// $3.60 per hour makes the arithmetic plain: 1000 tokens/s -> 3.6e6 tokens/hour -> $1 per 1M.
constexpr double kUsdPerHour = 3.6;

// A `moebench model bench --json` file in the format cmd_model_bench.cpp writes.
json bench_fixture() {
  return {{"model", "results/models/tiny"},
          {"engine", "cpu (2 threads)"},
          {"threads", 2},
          {"runs",
           {{{"batch", 1},
             {"prompt", 128},
             {"tokens", 64},
             {"warmup", 2},
             {"prefill_tokens_per_s", 1000.0},
             {"decode_tokens_per_s", 100.0},
             {"decode_ms_per_step", 10.0}},
            {{"batch", 8},
             {"prompt", 128},
             {"tokens", 64},
             {"warmup", 2},
             {"prefill_tokens_per_s", 4000.0},
             {"decode_tokens_per_s", 400.0},
             {"decode_ms_per_step", 20.0}}}},
          {"prefill",
           {{"seqs", 8},
            {"len", 2048},
            {"seconds", 1.6384},
            {"tokens_per_s", 10000.0},
            {"flops", 1e12},
            {"flops_per_s", 2.2e12}}}};
}

fs::path write_json(const fs::path& p, const json& j) {
  std::ofstream(p) << j.dump(2);
  return p;
}

}  // namespace

TEST_CASE("cost per 1M tokens reproduces the DeepSeek figure of 0.30 dollars for an H800 node") {
  // $2/GPU-hour x 8 GPUs = $16/hour; 14,800 tokens/s x 3600 s = 53.28M tokens/hour;
  // 16 / 53.28 = 100/333 = $0.3003 per 1M output tokens.
  CHECK(std::abs(cost_usd_per_million(2.0, 8, 14800.0) - 100.0 / 333.0) < 1e-12);
  // One GPU at $1/hour producing 1 token/s: 1e6 / 3600.
  CHECK(std::abs(cost_usd_per_million(1.0, 1, 1.0) - 1e6 / 3600.0) < 1e-9);
  CHECK(std::abs(cost_usd_per_million(kUsdPerHour, 1, 1000.0) - 1.0) < 1e-12);
}

TEST_CASE("the blended price weighs input three to one against output") {
  CHECK(std::abs(cost_blended(0.27, 1.10) - 0.4775) < 1e-12);  // deepseek-chat, V3
  CHECK(std::abs(cost_blended(0.56, 1.68) - 0.84) < 1e-12);    // V3.1
  CHECK(std::abs(cost_blended(15.0, 60.0) - 26.25) < 1e-12);   // o1
  CostApiRow o1;
  o1.input = 15;
  o1.output = 60;
  CHECK(std::abs(o1.blended() - 26.25) < 1e-12);
}

TEST_CASE("a model bench file gives one cost row per batch size and one for its prefill") {
  const fs::path dir = testing::temp_dir("cost-bench");
  const CostSource s = cost_read_bench(write_json(dir / "bench.json", bench_fixture()).string());
  REQUIRE(s.points.size() == 3);
  CHECK(s.details["engine"] == "cpu (2 threads)");
  const std::vector<CostRow> rows = cost_rows(s, kUsdPerHour, 1);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].point.label == "batch 1, ctx 128");
  CHECK(std::abs(*rows[0].input - 1.0) < 1e-12);       // 1000 tok/s
  CHECK(std::abs(*rows[0].output - 10.0) < 1e-12);     // 100 tok/s
  CHECK(std::abs(*rows[0].blended - 3.25) < 1e-12);    // (3 x 1 + 10) / 4
  CHECK(std::abs(*rows[1].input - 0.25) < 1e-12);      // 4000 tok/s
  CHECK(std::abs(*rows[1].output - 2.5) < 1e-12);      // 400 tok/s
  CHECK(std::abs(*rows[1].blended - 0.8125) < 1e-12);  // (0.75 + 2.5) / 4
  CHECK(rows[2].point.label == "prefill 8x2048");
  CHECK(std::abs(*rows[2].input - 0.1) < 1e-12);  // 10000 tok/s
  CHECK_FALSE(rows[2].output.has_value());
  CHECK_FALSE(rows[2].blended.has_value());
  // Two GPUs double every figure.
  CHECK(std::abs(*cost_rows(s, kUsdPerHour, 2)[1].output - 5.0) < 1e-12);
  fs::remove_all(dir);
}

TEST_CASE("a cost from a GPU bench names the GPU, the kernel set and the launch options") {
  const fs::path dir = testing::temp_dir("cost-bench-gpu");
  json bench = bench_fixture();
  bench["engine"] = "cuda:0 (NVIDIA H200)";
  bench["kernels"] = "wgmma";
  bench["programmatic_launch"] = true;
  bench["overlap"] = true;
  CostReport r;
  r.source = cost_read_bench(write_json(dir / "bench.json", bench).string());
  r.gpu_usd_per_hour = 2;
  r.rows = cost_rows(r.source, 2, 1);
  const std::string want =
      "engine cuda:0 (NVIDIA H200), kernels wgmma, programmatic launch, decode steps started ahead";
  CHECK(cost_format_text(r).find(want) != std::string::npos);
  CHECK(cost_format_markdown(r).find(want) != std::string::npos);
  const json j = cost_report_json(r);
  CHECK(j["inputs"]["details"]["kernels"] == "wgmma");
  CHECK(cost_source_text(j["inputs"]).find(want) != std::string::npos);
  // A CPU bench has no kernel set and says nothing of one.
  r.source = cost_read_bench(write_json(dir / "cpu.json", bench_fixture()).string());
  CHECK(cost_format_text(r).find("engine cpu (2 threads)\n") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a malformed model bench file is named with its field") {
  const fs::path dir = testing::temp_dir("cost-bench-bad");
  json j = bench_fixture();
  j["runs"][1]["decode_tokens_per_s"] = "fast";
  const std::string f = write_json(dir / "bad.json", j).string();
  CHECK(testing::input_error_of([&] { cost_read_bench(f); }) ==
        f + ": runs[1].decode_tokens_per_s: expected a number");
  j = bench_fixture();
  j["runs"][0].erase("prefill_tokens_per_s");
  write_json(f, j);
  CHECK(testing::input_error_of([&] { cost_read_bench(f); }) ==
        f + ": runs[0].prefill_tokens_per_s: missing");
  write_json(f, json{{"benchmarks", json::array()}});
  CHECK(testing::input_error_of([&] { cost_read_bench(f); }) ==
        f + ": runs: expected an array (moebench model bench --json)");
  // Only zero rates: nothing to cost (a table of dashes and exit 0 before), as --run and the
  // throughput flags refuse it.
  write_json(
      f, json{{"runs", {{{"batch", 1}, {"prefill_tokens_per_s", 0}, {"decode_tokens_per_s", 0}}}},
              {"prefill", {{"seqs", 1}, {"len", 8}, {"tokens_per_s", 0}}}});
  CHECK(testing::input_error_of([&] { cost_read_bench(f); }) ==
        f + ": no throughput > 0 in runs or prefill (nothing to cost)");
  CHECK(testing::input_error_of([&] { cost_rows(cost_from_flags(1, 1), 0, 1); }) ==
        "--gpu-hour-usd: must be > 0");
  CHECK(testing::input_error_of([&] { cost_rows(cost_from_flags(1, 1), 2, 0); }) ==
        "--gpus: must be >= 1");
  fs::remove_all(dir);
}

TEST_CASE("a run throughput is costed per kind and for its own token mix") {
  const fs::path dir = testing::temp_dir("cost-run");
  fs::create_directories(dir / "r1");
  json run = {{"run_id", "r1"},
              {"backend", {{"id", "builtin:/m"}}},
              {"host", {{"gpus", {{{"name", "H100"}}, {{"name", "H100"}}}}}},
              {"throughput",
               {{"prompt_tokens", 9000},
                {"output_tokens", 1000},
                {"prompt_tokens_per_s", 900.0},
                {"output_tokens_per_s", 100.0}}}};
  write_json(dir / "r1" / "run.json", run);
  const CostSource s = cost_read_run((dir / "r1").string());
  CHECK(s.gpus == 2);
  // The built-in engine used one of the host's GPUs: it was charged for both.
  json builtin = run;
  builtin["backend"]["family"] = "builtin";
  write_json(dir / "r1" / "run.json", builtin);
  CHECK(cost_read_run((dir / "r1").string()).gpus == 1);
  write_json(dir / "r1" / "run.json", run);
  REQUIRE(s.points.size() == 1);
  CHECK(s.points[0].shared_time);
  const CostRow row = cost_rows(s, kUsdPerHour, 1)[0];
  CHECK(std::abs(*row.input - 1000.0 / 900.0) < 1e-12);
  CHECK(std::abs(*row.output - 10.0) < 1e-12);
  CHECK(std::abs(*row.all_tokens - 1.0) < 1e-12);  // 1000 tokens/s of both kinds
  // Both figures charge the whole wall time: a 3:1 blend of them double-counts it (it showed
  // (3 x 1.11 + 10) / 4 = 3.33 against the run's own 1.00).
  CHECK_FALSE(row.blended.has_value());
  CHECK(cost_source_text(json{{"kind", "run"}, {"path", "r1"}, {"details", s.details}}) ==
        "run r1, model builtin:/m");
  // Attempts that failed after their HTTP 200 were processed (and billed) without an answer: the
  // throughput counts them, and the report says how many.
  run["tokens"] = {{"failed_attempts",
                    {{"attempts", 3}, {"usage_missing", 1}, {"prompt", 600}, {"completion", 90}}}};
  write_json(dir / "r1" / "run.json", run);
  const CostSource failed = cost_read_run((dir / "r1").string());
  CHECK(cost_source_text(json{{"kind", "run"}, {"path", "r1"}, {"details", failed.details}}) ==
        "run r1, model builtin:/m, throughput counting 690 tokens of 3 attempts that failed after "
        "their HTTP 200 (billed, no answer)");
  run.erase("tokens");
  run.erase("throughput");
  const std::string old = write_json(dir / "old.json", run).string();
  CHECK(testing::input_error_of([&] { cost_read_run(old); }) ==
        old + ": throughput: missing (a run.json written before moebench recorded tokens/s)");
  fs::remove_all(dir);
}

TEST_CASE("the cost report JSON describes its inputs and price and rows and API rows") {
  CostReport r;
  r.source = cost_from_flags(0, 14800);
  r.gpu_usd_per_hour = 2;
  r.gpus = 8;
  r.rows = cost_rows(r.source, 2, 8);
  r.date = "2025-09-05";
  r.models_file = "backends/models.json";
  CostApiRow a;
  a.name = a.model = "deepseek-chat";
  a.provider = "deepseek";
  a.priced = true;
  a.currency = "USD";
  a.effective_from = "2025-09-05";
  a.input_cache_hit = 0.07;
  a.input = 0.56;
  a.output = 1.68;
  r.api = {a};
  const json j = cost_report_json(r);
  CHECK(j["kind"] == "moebench-cost");
  CHECK(j["inputs"]["kind"] == "flags");
  CHECK(j["usd_per_hour"] == 16.0);
  CHECK(j["rows"][0]["input_usd_per_million"].is_null());
  CHECK(std::abs(j["rows"][0]["output_usd_per_million"].get<double>() - 100.0 / 333.0) < 1e-12);
  CHECK(j["api"]["models"][0]["effective_until"].is_null());
  CHECK(std::abs(j["api"]["models"][0]["blended_usd_per_million"].get<double>() - 0.84) < 1e-12);
  const std::string text = cost_format_text(r);
  CHECK(text.find("0.3003") != std::string::npos);
  CHECK(text.find("2025-09-05 to now") != std::string::npos);
  CHECK(cost_format_markdown(r).find("| deepseek-chat | deepseek | 0.07 | 0.56 | 1.68 | 0.84 |") !=
        std::string::npos);
}

TEST_CASE("moebench cost on a bench file writes JSON with our rows beside o1 prices") {
  const fs::path dir = testing::temp_dir("cost-cli");
  write_json(dir / "bench.json", bench_fixture());
  const std::string bin = testing::moebench_bin();
  const testing::CommandResult r = testing::run_command(
      bin + " cost --bench '" + (dir / "bench.json").string() +
          "' --gpu-hour-usd 1.8 --gpus 2 --compare o1 --date 2025-01-01 --format json -o '" +
          (dir / "out.json").string() + "'",
      dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.output);
  CHECK(j == json::parse(testing::read_file(dir / "out.json")));
  CHECK(j["gpus"] == 2);
  REQUIRE(j["rows"].size() == 3);
  CHECK(std::abs(j["rows"][1]["blended_usd_per_million"].get<double>() - 0.8125) < 1e-12);
  CHECK(j["rows"][1]["batch"] == 8);
  REQUIRE(j["api"]["models"].size() == 1);
  const json& o1 = j["api"]["models"][0];
  CHECK(o1["name"] == "o1");
  CHECK(o1["effective_from"] == "2024-12-17");
  CHECK(o1["input_cache_hit_usd_per_million"] == 7.5);
  CHECK(std::abs(o1["blended_usd_per_million"].get<double>() - 26.25) < 1e-12);
  fs::remove_all(dir);
}

TEST_CASE("moebench cost prints the DeepSeek node check in text and refuses two sources") {
  const fs::path dir = testing::temp_dir("cost-cli-text");
  const std::string bin = testing::moebench_bin();
  testing::CommandResult r = testing::run_command(
      bin +
          " cost --decode-tps 14800 --gpu-hour-usd 2 --gpus 8 --compare deepseek-chat "
          "--date 2025-09-04",
      dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("$2.00/GPU-hour x 8 GPUs = $16.00/hour") != std::string::npos);
  CHECK(r.output.find("0.3003") != std::string::npos);
  CHECK(r.output.find("2025-02-26T16:30Z to 2025-09-05T16:00Z") != std::string::npos);
  CHECK(r.output.find("deepseek-chat off-peak (UTC 16:30-00:30): cache hit 0.035, input 0.135, "
                      "output 0.55\n") != std::string::npos);
  r = testing::run_command(bin + " cost --decode-tps 100 --bench x.json --gpu-hour-usd 2", dir);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("give one throughput source") != std::string::npos);
  r = testing::run_command(bin + " cost --decode-tps 100 --gpu-hour-usd 2 --date 2025-13-01", dir);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--date '2025-13-01': expected YYYY-MM-DD") != std::string::npos);
  fs::remove_all(dir);
}
