// `--device` on `moebench run`, `serve` and `model bench`: forwarded to the builtin engine,
// recorded in the backend details, and a one-line error (exit 2) for a bad or unavailable device;
// and the CUDA-only launch choices (model bench's and serve's `--kernels`, `--pdl`; run's
// `--backend-opt kernels=, pdl=`), refused on the CPU engine; run's overlap=true (the same
// answers).
#include <algorithm>
#include <map>
#include <sstream>

#include "backends/builtin/checkpoint/model_init.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

fs::path device_test_model() {
  static fs::path made;
  if (!made.empty()) return made;
  ModelInitOptions o;
  o.family = model_family_parse("qwen3_moe", "test");
  o.preset = "tiny";
  o.out_dir = temp_dir("device-model") / "model";
  o.training_text_dir = fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  model_init_write(o);
  return made = o.out_dir;
}

void check_one_line_error(const CommandResult& r, const std::string& needle) {
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  CHECK(r.output.find(needle) != std::string::npos);
}

}  // namespace

TEST_CASE("cli --device: an unknown device string is a one-line error", "[device]") {
  fs::path dir = temp_dir("device-bad");
  const std::string model = device_test_model().string();
  check_one_line_error(run_command(moebench_bin() + " run --backend builtin:" + model +
                                       " --device tpu --samples --no-cache --no-progress",
                                   dir),
                       "--device 'tpu'");
  check_one_line_error(
      run_command(moebench_bin() + " run --backend builtin:" + model +
                      " --backend-opt device=cuda:x --samples --no-cache --no-progress",
                  dir),
      "--device 'cuda:x'");
  check_one_line_error(run_command(moebench_bin() + " serve " + model + " --device gpu0", dir),
                       "--device 'gpu0'");
  check_one_line_error(
      run_command(moebench_bin() + " model bench " + model + " --device cuda:", dir),
      "--device 'cuda:'");
#ifndef MOEBENCH_HAVE_CUDA
  check_one_line_error(
      run_command(moebench_bin() + " model bench " + model + " --device cuda", dir),
      "--device cuda: this build has no CUDA");
  check_one_line_error(run_command(moebench_bin() + " serve " + model + " --device cuda:0", dir),
                       "--device cuda:0: this build has no CUDA");
#endif
}

TEST_CASE("cli --device cpu: run records the device, model bench runs", "[device]") {
  fs::path dir = temp_dir("device-cpu");
  const std::string model = device_test_model().string();
  CommandResult r = run_command(moebench_bin() + " run --backend builtin:" + model +
                                    " --device cpu --samples --suites arc_challenge,gsm8k "
                                    "--no-cache --no-progress --run-id cpu --results-dir '" +
                                    (dir / "results").string() + "'",
                                dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  auto run_json = nlohmann::json::parse(read_file(dir / "results" / "cpu" / "run.json"));
  const auto& backend = run_json["backend"];
  CHECK(backend["details"]["device"] == "cpu");
  CHECK(backend["details"]["engine"] == "cpu");
  CHECK(backend["id"].get<std::string>().find("/cuda") == std::string::npos);

  // overlap=true starts each decode step before the last one's ids are read: the same answers.
  CommandResult ahead = run_command(moebench_bin() + " run --backend builtin:" + model +
                                        " --device cpu --backend-opt overlap=true --samples "
                                        "--suites arc_challenge,gsm8k --no-cache --no-progress "
                                        "--run-id ahead --results-dir '" +
                                        (dir / "results").string() + "'",
                                    dir);
  INFO(ahead.output);
  REQUIRE(ahead.exit_code == 0);
  auto responses = [&](const std::string& id) {
    std::map<std::string, nlohmann::json> by_doc;
    std::istringstream lines(read_file(dir / "results" / id / "samples.jsonl"));
    for (std::string line; std::getline(lines, line);) {
      const nlohmann::json s = nlohmann::json::parse(line);
      by_doc[s["doc_id"].get<std::string>()] = s["responses"];
    }
    return by_doc;
  };
  const auto plain = responses("cpu");
  CHECK_FALSE(plain.empty());
  CHECK(std::any_of(plain.begin(), plain.end(), [](const auto& d) { return !d.second.empty(); }));
  CHECK(responses("ahead") == plain);

  CommandResult bench =
      run_command(moebench_bin() + " model bench " + model +
                      " --device cpu --batch 1 --batch 3 --prompt 5 --tokens 2 --threads 1 "
                      "--json '" +
                      (dir / "bench.json").string() + "'",
                  dir);
  INFO(bench.output);
  REQUIRE(bench.exit_code == 0);
  auto j = nlohmann::json::parse(read_file(dir / "bench.json"));
  CHECK(j["engine"] == "cpu");
  CHECK(j["runs"].size() == 2);
  CHECK_FALSE(j.contains("kernels"));  // a CUDA engine choice only
  CHECK(j["overlap"] == false);
  CommandResult ahead_bench =
      run_command(moebench_bin() + " model bench " + model +
                      " --device cpu --batch 2 --prompt 5 --tokens 3 --threads 1 --overlap "
                      "--json '" +
                      (dir / "bench_ahead.json").string() + "'",
                  dir);
  INFO(ahead_bench.output);
  REQUIRE(ahead_bench.exit_code == 0);
  auto ja = nlohmann::json::parse(read_file(dir / "bench_ahead.json"));
  CHECK(ja["overlap"] == true);
  CHECK(ja["runs"][0]["decode_tokens_per_s"].get<double>() > 0);

  // --kernels picks the CUDA engine's launches; on the CPU engine it is refused, not ignored.
  check_one_line_error(
      run_command(moebench_bin() + " model bench " + model + " --device cpu --kernels fused", dir),
      "--kernels fused: applies to the CUDA engine, and this run uses the CPU one (--device cpu)");
  check_one_line_error(
      run_command(moebench_bin() + " model bench " + model + " --device cpu --kernels wgmma", dir),
      "--kernels wgmma: applies to the CUDA engine, and this run uses the CPU one (--device cpu)");
  check_one_line_error(
      run_command(moebench_bin() + " model bench " + model + " --device cpu --kernels fast", dir),
      "--kernels");
  check_one_line_error(
      run_command(moebench_bin() + " model bench " + model + " --device cpu --pdl", dir),
      "--pdl: applies to the CUDA engine");
  // The same choices on run (--backend-opt) and serve, refused by the engine's loader on the CPU.
  check_one_line_error(run_command(moebench_bin() + " run --backend builtin:" + model +
                                       " --device cpu --backend-opt kernels=fused --samples "
                                       "--suites gsm8k --no-cache --no-progress",
                                   dir),
                       "kernels=fused: a CUDA engine option, and this load uses the CPU engine");
  check_one_line_error(run_command(moebench_bin() + " run --backend builtin:" + model +
                                       " --device cpu --backend-opt kernels=wgmma --samples "
                                       "--suites gsm8k --no-cache --no-progress",
                                   dir),
                       "kernels=wgmma: a CUDA engine option, and this load uses the CPU engine");
  check_one_line_error(run_command(moebench_bin() + " run --backend builtin:" + model +
                                       " --device cpu --backend-opt kernels=fast --samples "
                                       "--suites gsm8k --no-cache --no-progress",
                                   dir),
                       "--backend-opt kernels=fast: expected separate, fused or wgmma");
  check_one_line_error(
      run_command(moebench_bin() + " serve " + model + " --device cpu --pdl --port 0", dir),
      "pdl: a CUDA engine option, and this load uses the CPU engine (device 'cpu')");
}
