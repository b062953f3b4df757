// `moebench rescore FILE`: score recorded responses again (a run's samples.jsonl or {id, response}
// JSONL) through the replay backend, over only the suites and documents the file holds.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "backends/validation/replay.h"
#include "common/error.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"

namespace moebench {
namespace {

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
  o->repeats = replay.repeats();  // responses of a --repeats run are scored as that run was
  for (const auto& [suite, doc] : replay.documents()) {
    o->only_docs[suite].insert(doc);
    if (!suite.empty()) suites.insert(suite);
  }
  if (o->suites.empty()) {
    if (suites.empty()) throw input_error(file, "lines carry no 'suite': pass --suites");
    o->suites.assign(suites.begin(), suites.end());
  }
}

struct RescoreFlags {
  CommonFlags common;
  std::string file;
};

// The recorded run's --include-path dirs, when the rescore names none: its suites may live there.
std::vector<std::string> recorded_include_path(const nlohmann::json& origin) {
  std::vector<std::string> out;
  if (!origin.is_object()) return out;
  const nlohmann::json dirs = origin["options"].value("include_path", nlohmann::json::array());
  for (const auto& d : dirs) {
    if (d.is_string()) out.push_back(d.get<std::string>());
  }
  return out;
}

int rescore(const RescoreFlags& f, const CliContext& context) {
  RunOptions o;
  o.command_line = context.command_line;
  o.config = *context.config;
  const nlohmann::json origin = rescore_source(f.file);
  CommonFlags common = f.common;
  if (common.include_path.empty()) common.include_path = recorded_include_path(origin);
  cli_apply_common_flags(common, &o);
  o.backend = "replay:" + f.file;
  o.use_cache = false;
  rescore_scope(f.file, &o);
  o.rescore = origin;
  return cli_run(o);
}

}  // namespace

Command cmd_rescore(CLI::App& app, const CliContext& context) {
  auto f = std::make_shared<RescoreFlags>();
  CLI::App* rescore_app = app.add_subcommand(
      "rescore", "Re-score recorded responses (samples.jsonl or {id, response} JSONL)");
  cli_add_common_flags(rescore_app, &f->common);
  rescore_app->add_option("file", f->file, "Responses to score")->required();
  return {rescore_app, [f, context] { return rescore(*f, context); }};
}

}  // namespace moebench
