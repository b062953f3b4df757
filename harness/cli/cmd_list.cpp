// `moebench list`: the suites (name, area, version, output kind, metrics) and, with --scoring,
// the registered filters and metrics.
#include <cstdio>

#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"
#include "harness/scoring/registry.h"

namespace moebench {
namespace {

struct ListFlags {
  CommonFlags common;  // only --tasks-dir is offered
  bool json = false;
  bool scoring = false;
};

int list_suites(const CommonFlags& flags, bool json, bool show_scoring) {
  scoring_register_builtins();
  auto specs = suite_list_specs(cli_tasks_dir(flags.tasks_dir));
  nlohmann::json out = nlohmann::json::array();
  for (const SuiteSpec& s : specs) {
    std::vector<std::string> metrics;
    for (const auto& m : s.metrics) metrics.push_back(m.value("name", m.value("metric", "")));
    out.push_back({{"name", s.name},
                   {"area", s.area},
                   {"version", s.version},
                   {"output", s.output == OutputKind::kChoice ? "choice" : "generate"},
                   {"metrics", metrics},
                   {"file", s.file.string()},
                   {"description", s.description}});
  }
  if (json) {
    nlohmann::json j = {{"suites", out}};
    if (show_scoring) j["filters"] = filter_names(), j["metrics"] = metric_names();
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-24s %-5s %-8s %-9s %s\n", "suite", "area", "version", "output", "metrics");
  for (const auto& s : out) {
    std::string metrics;
    for (const auto& m : s["metrics"])
      metrics += (metrics.empty() ? "" : ", ") + m.get<std::string>();
    std::printf("%-24s %-5s %-8s %-9s %s\n", s["name"].get<std::string>().c_str(),
                s["area"].get<std::string>().c_str(), s["version"].get<std::string>().c_str(),
                s["output"].get<std::string>().c_str(), metrics.c_str());
  }
  if (show_scoring) {
    std::printf("\nfilters:");
    for (const auto& f : filter_names()) std::printf(" %s", f.c_str());
    std::printf("\nmetrics:");
    for (const auto& m : metric_names()) std::printf(" %s", m.c_str());
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace

Command cmd_list(CLI::App& app, const CliContext&) {
  auto f = std::make_shared<ListFlags>();
  CLI::App* list = app.add_subcommand("list", "List the suites (and filters/metrics)");
  list->add_option("--tasks-dir", f->common.tasks_dir, "Suite specs");
  list->add_flag("--json", f->json, "JSON output");
  list->add_flag("--scoring", f->scoring, "Also list the registered filters and metrics");
  return {list, [f] { return list_suites(f->common, f->json, f->scoring); }};
}

}  // namespace moebench
