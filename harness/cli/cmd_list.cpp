// `moebench list`: the suites (name, area, version, output kind, whether their data is present,
// item count, profiles, metrics, description) and, with --scoring, the registered filters and
// metrics.
#include <cstdio>

#include "common/error.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"
#include "harness/data/data_dir.h"
#include "harness/scoring/registry.h"
#include "tasks/dataset_table.h"
#include "tasks/profile.h"

namespace moebench {
namespace {

struct ListFlags {
  CommonFlags common;  // only --tasks-dir, --include-path and --data-dir are offered
  bool json = false;
  bool scoring = false;
};

// Whether the data dir holds a suite's dataset, as data status says it: "present", "missing",
// "incomplete", "wrong size" or "unreadable" (DatasetPresence::state), or "no source" when the
// dataset table does not list it; "included" for a suite added by --include-path that ships its
// data (<dir>/data/<dataset>).
std::string data_state(const DatasetTable& table, const SuiteSpec& spec,
                       const std::filesystem::path& data_dir, const TaskDirs& dirs) {
  const std::string dataset = spec.raw["dataset"].value("dir", "");
  if (!suite_own_data(spec, dirs.main).empty()) return "included";
  auto it = table.datasets.find(dataset);
  if (it == table.datasets.end()) return "no source";
  // NOTE: a dataset whose files were all there at other sizes was "missing" (reviewer 72, F9).
  return dataset_presence(it->second, data_dir).state();
}

// Documents the suite evaluates, counted by loading them; -1 when its data is not there.
long item_count(const SuiteSpec& spec, const TaskDirs& dirs,
                const std::filesystem::path& data_dir) {
  DataSource source;
  source.tasks_dir = dirs.main;
  source.include_dirs = dirs.include;
  source.data_dir = data_dir;
  try {
    return static_cast<long>(SuiteInstance::open(spec, source).docs().size());
  } catch (const InputError&) {
    return -1;
  }
}

// The text table: a line per suite, its description indented below, then the profiles.
void print_suites(const nlohmann::json& out, const std::vector<SuiteProfile>& profiles) {
  auto joined = [](const nlohmann::json& list) {
    std::string out;
    for (const auto& x : list) out += (out.empty() ? "" : ",") + x.get<std::string>();
    return out;
  };
  std::printf("%-24s %-5s %-8s %-9s %-10s %6s  %-44s %s\n", "suite", "area", "version", "output",
              "data", "items", "profiles", "metrics");
  for (const auto& s : out) {
    std::printf("%-24s %-5s %-8s %-9s %-10s %6s  %-44s %s\n    %s\n",
                s["name"].get<std::string>().c_str(), s["area"].get<std::string>().c_str(),
                s["version"].get<std::string>().c_str(), s["output"].get<std::string>().c_str(),
                s["data"].get<std::string>().c_str(),
                s["items"].is_null() ? "-" : std::to_string(s["items"].get<long>()).c_str(),
                joined(s["profiles"]).c_str(), joined(s["metrics"]).c_str(),
                s["description"].get<std::string>().c_str());
  }
  std::printf("\nprofiles (--profile NAME or SUITE@NAME):\n");
  for (const SuiteProfile& p : profiles) {
    std::printf("  %-18s %-10s %s\n", p.name.c_str(), prompt_form_name(p.form),
                p.description.c_str());
  }
}

int list_suites(const CommonFlags& flags, bool json, bool show_scoring) {
  scoring_register_builtins();
  const TaskDirs dirs = cli_task_dirs(flags);
  const std::filesystem::path& tasks = dirs.main;
  auto specs = suite_list_specs(dirs);
  DatasetTable table;
  std::error_code ec;
  if (std::filesystem::is_regular_file(tasks / "datasets.json", ec)) {
    table = dataset_table_read(tasks / "datasets.json");
  }
  const DataDir data = data_dir_resolve(flags.data_dir);
  const std::vector<SuiteProfile> profiles = profile_list(dirs);
  nlohmann::json out = nlohmann::json::array();
  bool missing = false;
  for (const SuiteSpec& s : specs) {
    const std::string dataset = s.raw["dataset"].value("dir", "");
    const std::string state = data_state(table, s, data.path, dirs);
    missing |= state != "present" && state != "included";
    std::vector<std::string> metrics, covered_by;
    for (const auto& m : s.metrics) metrics.push_back(m.value("name", m.value("metric", "")));
    for (const SuiteProfile& p : profiles) {
      if (p.find(s.name)) covered_by.push_back(p.name);
    }
    const long items =
        state == "present" || state == "included" ? item_count(s, dirs, data.path) : -1;
    out.push_back({{"name", s.name},
                   {"area", s.area},
                   {"version", s.version},
                   {"output", s.output == OutputKind::kChoice ? "choice" : "generate"},
                   {"metrics", metrics},
                   {"file", s.file.string()},
                   {"dataset", dataset},
                   {"data", state},
                   {"items", items < 0 ? nlohmann::json(nullptr) : nlohmann::json(items)},
                   {"profiles", covered_by},
                   {"description", s.description}});
  }
  if (json) {
    nlohmann::json ps = nlohmann::json::array();
    for (const SuiteProfile& p : profiles) {
      ps.push_back({{"name", p.name},
                    {"version", p.version},
                    {"form", prompt_form_name(p.form)},
                    {"description", p.description},
                    {"source", p.source}});
    }
    nlohmann::json j = {{"suites", out}, {"profiles", ps}, {"data_dir", data.path.string()}};
    if (show_scoring) j["filters"] = filter_names(), j["metrics"] = metric_names();
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  print_suites(out, profiles);
  std::printf("\ndata dir: %s (%s)%s\n", data.path.c_str(), data.chosen_by.c_str(),
              missing ? "; fetch missing data with: moebench data fetch [SUITE...]" : "");
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
  cli_add_include_path(list, &f->common.include_path);
  list->add_option("--data-dir", f->common.data_dir,
                   "Data dir whose contents the 'data' column shows (default: $MOEBENCH_DATA, "
                   "then the user cache)");
  list->add_flag("--json", f->json, "JSON output");
  list->add_flag("--scoring", f->scoring, "Also list the registered filters and metrics");
  return {list, [f] { return list_suites(f->common, f->json, f->scoring); }};
}

}  // namespace moebench
