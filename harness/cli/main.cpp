// moebench command line: list, run, rescore, selfcheck, serve, report, compare, cost, loadgen,
// model init/bench. See README "Exit codes".
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "backends/builtin/engine_select.h"
#include "backends/validation/replay.h"
#include "common/error.h"
#include "common/version.h"
#include "harness/cli/cli_checks.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/cmd_cost.h"
#include "harness/cli/cmd_loadgen.h"
#include "harness/runner/interrupt.h"

namespace moebench {
namespace {

std::string joined_args(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

// Where rescored responses came from: a samples.jsonl next to its run.json is a recorded run, and
// the rescore keeps that run's backend id and options (its model and data scope on the
// leaderboard). A rescore of a rescore points at the first run. Null for a plain responses file.
nlohmann::json rescore_source(const std::string& file) {
  const std::filesystem::path run_json = std::filesystem::path(file).parent_path() / "run.json";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(run_json, ec)) return nullptr;
  std::ifstream in(run_json);
  const nlohmann::json run = nlohmann::json::parse(in, nullptr, false);
  const nlohmann::json backend = run.is_object() ? run.value("backend", nlohmann::json()) : nullptr;
  if (!backend.is_object() || !backend.value("id", nlohmann::json()).is_string()) {
    std::fprintf(stderr, "moebench: warning: %s: no backend.id; the rescore keeps the replay id\n",
                 run_json.c_str());
    return nullptr;
  }
  nlohmann::json origin = {{"source", file},
                           {"of_run", run.value("run_id", "")},
                           {"backend", backend["id"]},
                           {"backend_family", backend.value("family", "")},
                           {"options", run.value("options", nlohmann::json::object())}};
  const nlohmann::json earlier = run.value("rescore", nlohmann::json());
  if (earlier.is_object() && earlier.value("backend", nlohmann::json()).is_string()) {
    for (const char* key : {"of_run", "backend", "backend_family", "options"}) {
      if (earlier.contains(key)) origin[key] = earlier[key];
    }
  }
  return origin;
}

// The suites and documents present in a replay file, so rescore touches only those. The file is
// parsed by ReplayBackend, the one reader of its format.
void rescore_scope(const std::string& file, RunOptions* o) {
  std::set<std::string> suites;
  const ReplayBackend replay(file);
  for (const auto& [suite, doc] : replay.documents()) {
    o->only_docs[suite].insert(doc);
    if (!suite.empty()) suites.insert(suite);
  }
  if (o->suites.empty()) {
    if (suites.empty()) throw InputError(file + ": lines carry no 'suite': pass --suites");
    o->suites.assign(suites.begin(), suites.end());
  }
}

int run_main(int argc, char** argv) {
  CLI::App app{"moebench " MOEBENCH_VERSION
               ": evaluation and benchmark harness for Mixture-of-Experts language models",
               "moebench"};
  app.require_subcommand(1);
  app.set_version_flag("--version", MOEBENCH_VERSION);

  CommonFlags list_flags;
  bool list_json = false, list_scoring = false;
  CLI::App* list = app.add_subcommand("list", "List the suites (and filters/metrics)");
  list->add_option("--tasks-dir", list_flags.tasks_dir, "Suite specs");
  list->add_flag("--json", list_json, "JSON output");
  list->add_flag("--scoring", list_scoring, "Also list the registered filters and metrics");

  CommonFlags run_flags;
  RunOptions run_opts;
  std::string shard = "0/1", cache;
  std::vector<std::string> backend_opts;
  bool no_cache = false;
  CLI::App* run = app.add_subcommand("run", "Evaluate a backend on suites");
  cli_add_common_flags(run, &run_flags);
  run->add_option("--backend", run_opts.backend,
                  "oracle | oracle-chat | replay:<file> | builtin:<checkpoint dir> | "
                  "api:<model name in the models file>")
      ->capture_default_str();
  std::string run_models;
  run->add_option("--models", run_models,
                  "Models file naming the api: backends (default: $MOEBENCH_MODELS, else "
                  "backends/models.json)");
  run->add_option("--backend-opt", backend_opts, "Backend option key=value (repeatable)");
  std::string run_device;
  run->add_option("--device", run_device,
                  "builtin backend: auto | cpu | cuda | cuda:N (= --backend-opt device=...)");
  run->add_option("--seed", run_opts.seed, "Sampling seed")
      ->check(cli_unsigned())
      ->capture_default_str();
  run->add_option("--shard", shard, "Run shard i of N (0-based), e.g. 2/8")->capture_default_str();
  run->add_option("--cache", cache, "Response cache (default: <results-dir>/cache.sqlite)");
  run->add_flag("--no-cache", no_cache, "Neither read nor write the response cache");
  run->add_option("--batch-size", run_opts.batch_size,
                  "Requests per backend call (default: the backend's batch)")
      ->check(cli_integer(1, 1 << 20));
  run->add_option("--run-id", run_opts.run_id,
                  "Name of the results directory: letters, digits, '.', '_', '-'");
  run->add_flag("--force", run_opts.force, "Replace an existing run of the same --run-id");

  CommonFlags rescore_flags;
  std::string rescore_file;
  CLI::App* rescore = app.add_subcommand(
      "rescore", "Re-score recorded responses (samples.jsonl or {id, response} JSONL)");
  cli_add_common_flags(rescore, &rescore_flags);
  rescore->add_option("file", rescore_file, "Responses to score")->required();

  CommonFlags check_flags;
  bool no_chat = false;
  CLI::App* selfcheck = app.add_subcommand(
      "selfcheck", "Score every suite with the oracle backend: every metric must be 100%");
  cli_add_common_flags(selfcheck, &check_flags);
  selfcheck->add_flag("--no-chat", no_chat,
                      "Skip the second pass that scores choice suites by generated letters");

  ServeOptions serve_opts;
  std::string serve_dir;
  CLI::App* serve = app.add_subcommand(
      "serve", "Serve a built-in checkpoint over the OpenAI API (/v1/chat/completions, ...)");
  serve->add_option("dir", serve_dir, "Checkpoint directory (HF layout)")->required();
  serve->add_option("--host", serve_opts.host, "Address to bind")->capture_default_str();
  serve->add_option("--port", serve_opts.port, "Port (0 = any free port)")
      ->check(cli_integer(0, 65535))
      ->capture_default_str();
  serve->add_option("--max-batch", serve_opts.max_batch, "Requests decoded together")
      ->check(cli_integer(1, 4096))
      ->capture_default_str();
  serve->add_option("--threads", serve_opts.threads, "CPU engine threads (0 = all cores)")
      ->check(cli_integer(0, 4096));
  serve->add_option("--device", serve_opts.device, "auto | cpu | cuda | cuda:N")
      ->capture_default_str();
  serve->add_option("--model-name", serve_opts.model_name, "Model id (default: directory name)");

  ReportFlags report_flags;
  CLI::App* report = cli_add_report(&app, &report_flags);
  CompareFlags compare_flags;
  CLI::App* compare = cli_add_compare(&app, &compare_flags);
  CostFlags cost_flags;
  CLI::App* cost = cli_add_cost(&app, &cost_flags);
  LoadgenFlags loadgen_flags;
  CLI::App* loadgen = cli_add_loadgen(&app, &loadgen_flags);

  ModelInitFlags init_flags;
  CLI::App* model = app.add_subcommand("model", "Built-in model checkpoints");
  model->require_subcommand(1);
  cli_add_model_init(model, &init_flags);
  ModelBenchFlags bench_flags;
  cli_add_model_bench(model, &bench_flags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "moebench: error: %s\n",
                 cli_parse_error_message(app, e, argc, argv).c_str());
    return kExitBadInput;
  }

  interrupt_install();
  if (list->parsed()) return cli_list(list_flags, list_json, list_scoring);
  if (serve->parsed()) {
    engine_device_parse(serve_opts.device);
    return cli_serve(serve_dir, serve_opts);
  }
  if (report->parsed()) return cli_report(report_flags);
  if (compare->parsed()) return cli_compare(compare_flags);
  if (cost->parsed()) return cli_cost(cost_flags);
  if (loadgen->parsed()) return cli_loadgen(loadgen_flags);
  if (model->parsed()) {
    if (model->got_subcommand("bench")) return cli_model_bench(bench_flags);
    return cli_model_init(init_flags);
  }
  RunOptions o;
  o.command_line = joined_args(argc, argv);
  if (run->parsed()) {
    o = run_opts;
    o.command_line = joined_args(argc, argv);
    cli_apply_common_flags(run_flags, &o);
    run_parse_shard(shard, &o.shard_index, &o.shard_count);
    for (const std::string& kv : backend_opts) {
      auto eq = kv.find('=');
      if (eq == std::string::npos)
        throw InputError("--backend-opt '" + kv + "': expected key=value");
      o.backend_options[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (!run_device.empty()) {
      engine_device_parse(run_device);
      o.backend_options["device"] = run_device;
    }
    o.models_file = cli_models_file(run_models);
    o.use_cache = !no_cache;
    o.cache_file = cache;
    return cli_run(o);
  }
  if (rescore->parsed()) {
    cli_apply_common_flags(rescore_flags, &o);
    o.backend = "replay:" + rescore_file;
    o.use_cache = false;
    rescore_scope(rescore_file, &o);
    o.rescore = rescore_source(rescore_file);
    return cli_run(o);
  }
  cli_apply_common_flags(check_flags, &o);
  return cli_selfcheck(o, !no_chat);
}

}  // namespace
}  // namespace moebench

int main(int argc, char** argv) {
  try {
    return moebench::run_main(argc, argv);
  } catch (const moebench::InputError& e) {
    std::fprintf(stderr, "moebench: error: %s\n", e.what());
    return moebench::kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moebench: internal error: %s\n", e.what());
    return moebench::kExitInternal;
  }
}
