// nightly_plan / nightly_run / nightly_finish.
#include "harness/cli/nightly_stages.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>

#include "backends/builtin/builtin_backend.h"
#include "backends/validation/replay.h"
#include "common/error.h"
#include "common/json_file.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/nightly_gate.h"
#include "harness/results/run_claim.h"
#include "harness/results/run_merge.h"
#include "tasks/suite.h"

namespace moebench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string shard_run_id(const NightlyEntry& e, const std::string& night, int shard) {
  return e.name + "-" + night + (e.shards > 1 ? "-shard" + std::to_string(shard) : "");
}

RunOptions entry_run_options(const NightlyConfig& c, const NightlyEntry& e, const NightlyOptions& o,
                             int shard) {
  RunOptions r;
  r.suites = e.suites;
  r.source.tasks_dir = cli_tasks_dir("");
  r.source.include_dirs = c.include_path;
  r.source.samples = e.samples;
  r.source.data_dir = cli_data_dir(c.data_dir.string());
  r.backend = e.backend;
  r.backend_options = e.backend_opts;
  r.models_file = cli_models_file(c.models.string());
  r.limit = e.limit;
  r.seed = e.seed;
  r.shard_index = shard;
  r.shard_count = e.shards;
  r.results_dir = c.results;
  // A cache per run of the night: a cell run again resumes from its own answers, and the next
  // night asks the backend again (a model or server changed under the same backend id would
  // otherwise be answered from an earlier night's cache, hiding its regression). NOTE: per cell,
  // not per night: cells on several nodes of a cluster (scripts/slurm/nightly.sh) must not share
  // one SQLite file (WAL works among the processes of one host only).
  r.run_id = shard_run_id(e, o.night, shard);
  r.cache_file = c.results / "cache" / (r.run_id + ".sqlite");
  r.force = true;  // a night run again replaces its runs (the cache keeps the answers)
  r.command_line = o.command_line;
  r.progress = o.progress;
  // A shard's share of a few failed samples is noise: the error-rate gate of a sharded entry is
  // applied to the merged run by the finish stage.
  r.max_error_rate = e.shards > 1 ? 1.0 : e.max_error_rate;
  return r;
}

// The entries and shards `o` selects: every one, one entry, or one shard of one entry.
std::vector<std::pair<const NightlyEntry*, int>> selected(const NightlyConfig& c,
                                                          const NightlyOptions& o) {
  std::vector<std::pair<const NightlyEntry*, int>> out;
  if (!o.entry.empty()) c.entry(o.entry);  // an unknown name is an error
  for (const NightlyEntry& e : c.entries) {
    if (!o.entry.empty() && e.name != o.entry) continue;
    if (o.shard_index >= 0 && o.shard_count != e.shards) {
      throw InputError("--shard " + std::to_string(o.shard_index) + "/" +
                       std::to_string(o.shard_count) + ": entry '" + e.name + "' has " +
                       std::to_string(e.shards) + " shards (" + c.file.string() + ")");
    }
    for (int i = 0; i < e.shards; ++i) {
      if (o.shard_index < 0 || o.shard_index == i) out.emplace_back(&e, i);
    }
  }
  return out;
}

// The command that runs `e`'s cell `shard` of `night` again (shard -1: every cell of the entry).
std::string run_again(const NightlyConfig& c, const NightlyEntry& e, const std::string& night,
                      int shard) {
  return "moebench nightly " + cli_shell_word(c.file.string()) + " --stage run --night " + night +
         " --entry " + cli_shell_word(e.name) +
         (shard < 0 || e.shards == 1
              ? ""
              : " --shard " + std::to_string(shard) + "/" + std::to_string(e.shards));
}

std::string json_text(const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

// InputError when a shard's run is missing, naming each such shard and the command that runs it,
// as a user can paste it ("--shard I/N" was left for the user to fill in).
void check_shards_present(const NightlyConfig& c, const NightlyEntry& e, const std::string& night,
                          const std::vector<fs::path>& runs) {
  std::string missing, commands;
  for (size_t i = 0; i < runs.size(); ++i) {
    std::error_code ec;
    if (fs::is_regular_file(runs[i] / "run.json", ec)) continue;
    const std::string shard = std::to_string(i) + "/" + std::to_string(e.shards);
    missing += (missing.empty() ? "" : ", ") + shard;
    commands += (commands.empty() ? "" : "; ") + run_again(c, e, night, static_cast<int>(i));
  }
  if (missing.empty()) return;
  const bool one = missing.find(',') == std::string::npos;
  throw InputError("shard " + missing + " missing in " + c.results.string() + " (run " +
                   (one ? "it: " : "them: ") + commands + ")");
}

// InputError when the run in `e`'s cell `shard` of `night` is another run (another night's or
// another cell's, copied or restored there): finish would gate it as tonight's.
void check_cell_holds_its_run(const NightlyConfig& c, const NightlyEntry& e,
                              const std::string& night, int shard, const json& run) {
  const std::string id = shard_run_id(e, night, shard);
  const json held = run.value("run_id", json());
  const json options = run.value("options", json::object());
  const json held_shard = options.is_object() ? options.value("shard", json()) : json();
  const std::string want_shard = std::to_string(shard) + "/" + std::to_string(e.shards);
  if (held == id && held_shard == want_shard) return;
  const bool same_id = held == id;
  throw InputError((c.results / id).string() + " holds run " + json_text(held) +
                   (same_id ? " (shard " + json_text(held_shard) + ")" : "") + ", not " + id +
                   (same_id ? " (shard " + want_shard + ")" : "") +
                   " (run it again: " + run_again(c, e, night, shard) + ")");
}

// A suite's name as run.json keys it (SuiteSpec::key: the default profile is not written).
std::string suite_key(const std::string& name) {
  const std::string suffix = std::string("@") + kDefaultProfile;
  const bool dflt = name.size() > suffix.size() &&
                    name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  return dflt ? name.substr(0, name.size() - suffix.size()) : name;
}

// The backend id a run of `e` records where it names content: a replay file's hash, a builtin
// checkpoint's name and fingerprint, computed by the backend's own functions from what the entry
// names now. "" for the other backends (their id is the entry's `backend`), and for a file or
// directory not on this machine (said: its runs are compared by the scheme alone).
std::string entry_content_id(const NightlyEntry& e) {
  const size_t colon = e.backend.find(':');
  const std::string scheme = e.backend.substr(0, colon);
  if (colon == std::string::npos || (scheme != "replay" && scheme != "builtin")) return "";
  const fs::path path = e.backend.substr(colon + 1);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    std::fprintf(stderr,
                 "moebench: nightly: warning: %s: %s is not on this machine, so its runs are "
                 "compared with the entry by the backend's scheme only\n",
                 e.name.c_str(), path.c_str());
    return "";
  }
  return scheme == "replay" ? replay_backend_id(path) : builtin_checkpoint_id(path);
}

// Whether backend.id as a run records it is what the entry's `backend` makes: "oracle",
// "oracle-chat" and "api:<model>" are their own ids; replay and builtin ids name their content,
// `content` (entry_content_id; "" = the scheme alone). A builtin id's "/cuda" is the engine of
// the machine that ran it, not the checkpoint.
bool same_backend(const std::string& spec, const json& id, const std::string& content) {
  if (!id.is_string()) return false;
  const std::string scheme = spec.substr(0, spec.find(':'));
  std::string held = id.get<std::string>();
  if (scheme != "replay" && scheme != "builtin") return held == spec;
  if (held.substr(0, held.find(':')) != scheme) return false;
  if (scheme == "builtin" && held.ends_with("/cuda")) held.resize(held.size() - 5);
  return content.empty() || held == content;
}

// InputError naming each way the run of `e`'s cell `shard` differs from what the entry sets (the
// config changed since the run stage): finish would gate a run the config no longer asks for.
void check_cell_is_the_entrys(const NightlyConfig& c, const NightlyEntry& e,
                              const std::string& night, int shard, const json& run,
                              const std::string& content) {
  std::vector<std::string> diffs;
  std::set<std::string> ran, want;
  // NOTE: a named copy: a range-for over .items() of value()'s temporary reads it after its end.
  const json suites = run.value("suites", json::object());
  for (const auto& [name, suite] : suites.items()) ran.insert(name);
  for (const std::string& name : e.suites) want.insert(suite_key(name));
  for (const std::string& name : ran) {
    if (!want.count(name)) diffs.push_back(name + " not in the entry");
  }
  for (const std::string& name : want) {
    if (!ran.count(name)) diffs.push_back(name + " not run");
  }
  const json options = run.value("options", json::object());
  const std::pair<const char*, json> fields[] = {
      {"limit", e.limit ? json(*e.limit) : json(nullptr)},
      {"samples", e.samples},
      {"seed", e.seed}};
  for (const auto& [field, value] : fields) {
    const json held = options.value(field, json());
    if (held != value) {
      diffs.push_back("options." + std::string(field) + " " + held.dump() + ", the entry " +
                      value.dump());
    }
  }
  const json backend = run.value("backend", json::object()).value("id", json());
  if (!same_backend(e.backend, backend, content)) {
    diffs.push_back("backend " + json_text(backend) + ", the entry " + e.backend +
                    (content.empty() ? "" : " (" + content + ")"));
  }
  if (diffs.empty()) return;
  std::string list;
  for (const std::string& d : diffs) list += (list.empty() ? "" : "; ") + d;
  throw InputError((c.results / shard_run_id(e, night, shard)).string() +
                   " is not this config's run: " + list +
                   " (run it again: " + run_again(c, e, night, -1) + ")");
}

// Checks each run of `e`'s cells of `night` that is there (a missing one is named apart).
void check_cells(const NightlyConfig& c, const NightlyEntry& e, const std::string& night) {
  std::optional<std::string> content;  // once per entry: a checkpoint's may read GBs
  for (int i = 0; i < e.shards; ++i) {
    const fs::path file = c.results / shard_run_id(e, night, i) / "run.json";
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) continue;
    const json run = json_read_file(file, file.string(), "cannot read");
    check_cell_holds_its_run(c, e, night, i, run);
    if (!content) content = entry_content_id(e);
    check_cell_is_the_entrys(c, e, night, i, run, *content);
  }
}

}  // namespace

std::string nightly_plan(const NightlyConfig& c, const NightlyOptions& o) {
  json matrix = json::array();
  for (const auto& [e, shard] : selected(c, o)) {
    matrix.push_back(
        {{"entry", e->name}, {"shard", std::to_string(shard) + "/" + std::to_string(e->shards)}});
  }
  return matrix.dump();
}

int nightly_run(const NightlyConfig& c, const NightlyOptions& o) {
  int worst = kExitOk;
  for (const auto& [e, shard] : selected(c, o)) {
    const RunOptions r = entry_run_options(c, *e, o, shard);
    std::printf("\n== nightly %s: %s (%s, shard %d/%d)\n", o.night.c_str(), r.run_id.c_str(),
                e->backend.c_str(), shard, e->shards);
    std::fflush(stdout);
    int rc = kExitOk;
    try {
      rc = cli_run(r);
    } catch (const RunIdHeld& h) {
      // The cell's run id is the night's, not the user's: no --run-id or --force to suggest.
      std::fprintf(stderr,
                   "moebench: error: nightly %s: %s (entry %s, shard %d/%d) is already running: "
                   "another moebench is writing %s (it holds %s); wait for it to end\n",
                   o.night.c_str(), r.run_id.c_str(), e->name.c_str(), shard, e->shards,
                   h.dir().c_str(), h.partial().c_str());
      rc = kExitBadInput;
    } catch (const std::exception& err) {
      // One cell's failure is that cell's: the night's other cells still run.
      rc = cli_report_error(err, "nightly " + o.night + ": " + r.run_id + ": ");
    }
    if (rc == kExitInterrupted) return rc;
    worst = std::max(worst, rc);
  }
  return worst;
}

int nightly_finish(const NightlyConfig& c, const NightlyOptions& o) {
  std::vector<NightlyEntryResult> results;
  for (const NightlyEntry& e : c.entries) {
    if (!o.entry.empty() && e.name != o.entry) continue;
    NightlyEntryResult r;
    r.entry = e.name;
    r.run_id = e.name + "-" + o.night;
    try {
      check_cells(c, e, o.night);
      if (e.shards > 1) {
        MergeOptions m;
        for (int i = 0; i < e.shards; ++i) {
          m.runs.push_back(c.results / shard_run_id(e, o.night, i));
        }
        check_shards_present(c, e, o.night, m.runs);
        m.out = c.results / r.run_id;
        m.force = true;
        m.command_line = o.command_line;
        // The merged run records the entry's rate, as an unsharded entry's run does: the reports
        // recompute the error gate from run.json (merge's default 0.05 failed a passed entry).
        m.max_error_rate = e.max_error_rate;
        merge_runs(m);
      }
      nightly_check_errors(c, e, r);
      nightly_compare_entry(c, o.night, &r);
    } catch (const std::exception& err) {
      // NOTE: any failure of one entry (a shard's run.json with a field of the wrong type fails
      // inside nlohmann) is that entry's: the others are still gated and the night published.
      r.error = err.what();
    }
    results.push_back(std::move(r));
  }
  const NightlyKernels kernels = nightly_kernels(c, o.night);
  return nightly_publish(c, o.night, results, kernels);
}

}  // namespace moebench
