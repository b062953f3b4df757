// One moebench subcommand. Each cmd_<name>.cpp adds its subcommand to the app (flags, help and the
// flag values it owns) and returns how to run it once parsed; main.cpp only assembles them.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace moebench {

// What every command may need from the invocation itself.
struct CliContext {
  std::string command_line;  // argv joined by spaces, recorded in run.json
  // --config FILE: {file, text}, filled by main after the parse (null when none); shared because
  // the commands keep copies of the context made before it.
  std::shared_ptr<nlohmann::json> config = std::make_shared<nlohmann::json>();
};

struct Command {
  CLI::App* app = nullptr;   // the subcommand
  std::function<int()> run;  // called when `app` was parsed; returns the exit code
};

// The commands, in the order `moebench --help` lists them.
Command cmd_list(CLI::App& app, const CliContext& context);
Command cmd_data(CLI::App& app, const CliContext& context);
Command cmd_run(CLI::App& app, const CliContext& context);
Command cmd_rescore(CLI::App& app, const CliContext& context);
Command cmd_merge(CLI::App& app, const CliContext& context);
Command cmd_nightly(CLI::App& app, const CliContext& context);
Command cmd_selfcheck(CLI::App& app, const CliContext& context);
Command cmd_serve(CLI::App& app, const CliContext& context);
Command cmd_report(CLI::App& app, const CliContext& context);
Command cmd_compare(CLI::App& app, const CliContext& context);
Command cmd_cost(CLI::App& app, const CliContext& context);
Command cmd_loadgen(CLI::App& app, const CliContext& context);
Command cmd_model(CLI::App& app, const CliContext& context);
// `model bench`, added under the `model` group by cmd_model.
Command cmd_model_bench(CLI::App& model, const CliContext& context);

}  // namespace moebench
