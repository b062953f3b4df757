// moebench command line: assembles the subcommands of cmd_*.cpp, parses, runs the one given and
// turns errors into exit codes. See README "Exit codes".
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/error.h"
#include "common/version.h"
#include "harness/cli/cli_checks.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/cli_config.h"
#include "harness/cli/command.h"
#include "harness/runner/interrupt.h"

namespace moebench {
namespace {

std::string joined_args(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

// Every command reads flags from `--config FILE` too (TOML: a [run] section holds run's flags,
// [report] report's, [model.bench] model bench's; a flag on the command line wins). The option
// is the app's; the commands let it fall through to it.
void allow_config(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
    const std::string note = "Flags may also come from a TOML file: " + cli_command_path(sub) +
                             " --config FILE, section [" + cli_config_section(sub) +
                             "] (README \"Run config files\").";
    sub->fallthrough();
    sub->footer(sub->get_footer().empty() ? note : sub->get_footer() + "\n\n" + note);
    allow_config(sub);
  }
}

// The config file's path and text for run.json; null when none was given.
nlohmann::json config_record(const CLI::App& app) {
  const CLI::Option* opt = app.get_config_ptr();
  if (opt == nullptr || opt->count() == 0) return nullptr;
  const std::string file = opt->as<std::string>();
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return {{"file", file}, {"text", text.str()}};
}

int run_main(int argc, char** argv) {
  CLI::App app{"moebench " MOEBENCH_VERSION
               ": evaluation and benchmark harness for Mixture-of-Experts language models",
               "moebench"};
  app.require_subcommand(1);
  app.set_version_flag("--version", MOEBENCH_VERSION);
  const CliContext context{joined_args(argc, argv)};
  std::vector<Command> commands;
  for (auto add : {cmd_list, cmd_run, cmd_rescore, cmd_merge, cmd_data, cmd_nightly, cmd_selfcheck,
                   cmd_serve, cmd_report, cmd_compare, cmd_cost, cmd_loadgen, cmd_model}) {
    commands.push_back(add(app, context));
  }
  app.set_config("--config", "",
                 "Flags from a TOML file: [run] holds run's flags (name = value, the flag "
                 "without '--'), [report] report's...; the command line wins");
  app.config_formatter(std::make_shared<TomlConfig>(&app));  // TOML 1.0, by toml++
  app.allow_config_extras(CLI::config_extras_mode::error);
  allow_config(&app);

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

  *context.config = config_record(app);
  interrupt_install();
  for (const Command& c : commands) {
    if (!c.app->parsed()) continue;
    try {
      return c.run();
    } catch (const InputError& e) {  // a flag's value a check refused after the parse
      const std::string placed = cli_config_value_error(app, e.what(), argc, argv);
      if (placed.empty()) throw;
      throw InputError(placed);
    }
  }
  return kExitInternal;  // NOTE: unreachable: require_subcommand(1) made the parse fail
}

}  // namespace
}  // namespace moebench

int main(int argc, char** argv) {
  // NOTE: line-buffered even into a file or pipe, so a command stopped by a timeout (a device
  // run's stage) leaves every line it finished.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  try {
    return moebench::run_main(argc, argv);
  } catch (const std::exception& e) {
    return moebench::cli_report_error(e);
  }
}
