// run_load_summary / run_load_samples / run_scan_dir: run.json and samples.jsonl back into records.
#include "reports/run_load.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <tuple>

#include "common/error.h"
#include "common/error_gate.h"
#include "common/json_error.h"
#include "common/json_file.h"
#include "reports/json_fields.h"

namespace moebench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The data scope of run.json "options" (`field`, "rescore.options" for a rescore's): "samples",
// "own data" (a suite read an own copy of its dataset) or "full", ", limit N", and the shard i/N.
void scope_of(const json& options, const std::string& where, const std::string& field,
              RunSummary* r) {
  if (!options.is_object()) {
    throw input_error(where, "field '" + field + "' must be an object, got " + options.dump());
  }
  const json samples = options.value("samples", json());
  if (!samples.is_null() && !samples.is_boolean()) {
    throw input_error(where,
                      "field '" + field + ".samples' must be true or false, got " + samples.dump());
  }
  // NOTE: a run on an own copy of a dataset (a subset, a conversion) was scoped "full" and ranked
  // against runs on the dataset (reviewer 91, F2): any suite that read one makes it "own data".
  const bool own = std::any_of(r->suites.begin(), r->suites.end(),
                               [](const SuiteResult& s) { return s.own_data(); });
  r->base_scope = samples.is_boolean() && samples.get<bool>() ? "samples"
                  : own                                       ? "own data"
                                                              : "full";
  if (options.contains("limit") && options["limit"].is_number()) {
    r->base_scope +=
        ", limit " + std::to_string(count_of(options["limit"], where, field + ".limit"));
  }
  // --num-fewshot changes every prompt: such runs never share a row with the suites' own setting.
  if (options.contains("num_fewshot") && options["num_fewshot"].is_number()) {
    const long n = count_of(options["num_fewshot"], where, field + ".num_fewshot");
    r->base_scope += ", " + std::to_string(n) + "-shot";
    // A suite whose zero-shot chat form took none of them records 0 (harness/runner/plan.cpp):
    // the row says so rather than file its score as n-shot.
    std::string other;
    for (const SuiteResult& s : r->suites) {
      const json prompt = s.spec.is_object() ? s.spec.value("prompt", json()) : json();
      const json shots = prompt.is_object() ? prompt.value("num_fewshot", json()) : json();
      if (!shots.is_number_integer() || shots.get<long>() == n) continue;
      other +=
          (other.empty() ? "" : ", ") + s.name + " " + std::to_string(shots.get<long>()) + "-shot";
    }
    if (!other.empty()) r->base_scope += " (" + other + ")";
  }
  // --repeats N: avg@N scores, a row of their own.
  if (options.contains("repeats") && options["repeats"].is_number() &&
      count_of(options["repeats"], where, field + ".repeats") > 1) {
    r->base_scope +=
        ", avg@" + std::to_string(count_of(options["repeats"], where, field + ".repeats"));
  }
  // --gen-kwargs too (sampling, token budgets).
  if (options.contains("gen_kwargs") && options["gen_kwargs"].is_string()) {
    r->base_scope += ", " + options["gen_kwargs"].get<std::string>();
  }
  const std::string shard = str_or(options, "shard", "0/1");
  int index = 0, count = 0;
  char rest = 0;
  if (std::sscanf(shard.c_str(), "%d/%d%c", &index, &count, &rest) != 2 || count < 1 || index < 0 ||
      index >= count) {
    throw input_error(
        where, "field '" + field + ".shard' must be \"i/N\" with 0 <= i < N, got '" + shard + "'");
  }
  r->shard_index = index;
  r->shard_count = count;
  r->data_scope = r->base_scope;
  if (count > 1) r->data_scope += ", shard " + shard;
}

// A rescore of a recorded run (run.json "rescore" with the original backend): the original
// backend id and options stand for the run; the replay id is kept in r->rescore.
void rescore_of(const RunRecord& run, const std::string& where, RunSummary* r) {
  const json& rescore = run.rescore;
  const std::string original = str_or(rescore, "backend");
  if (original.empty()) {
    scope_of(run.options, where, "options", r);
    return;
  }
  r->rescore = RescoreSource{str_or(rescore, "source"), str_or(rescore, "of_run"), r->backend_id,
                             str_or(rescore, "backend_family")};
  r->backend_id = original;
  // A rescore record without options (absent or null) is scoped by the run's own.
  const json options = rescore.value("options", json());
  if (options.is_null()) {
    scope_of(run.options, where, "options", r);
  } else {
    scope_of(options, where, "rescore.options", r);
  }
}

// The model an API run sent in place of its entry's (`--backend-opt model=X`): run.json's
// backend.details.entry_model says the entry's; a run written before it was recorded says the
// override on its command line. "" when the entry's own model was sent.
std::string model_override(const RunRecord& run) {
  const json details = run.backend.value("details", json());
  if (!details.is_object()) return "";
  const std::string sent = str_or(details, "model");
  if (sent.empty()) return "";
  if (details.contains("entry_model")) return str_or(details, "entry_model") == sent ? "" : sent;
  const std::string flag = "--backend-opt", value = "model=" + sent;
  for (size_t at = run.command.find(flag); at != std::string::npos;
       at = run.command.find(flag, at + 1)) {
    size_t v = at + flag.size();
    if (v < run.command.size() && (run.command[v] == ' ' || run.command[v] == '=')) ++v;
    const size_t end = v + value.size();
    if (run.command.compare(v, value.size(), value) == 0 &&
        (end == run.command.size() || run.command[end] == ' ')) {
      return sent;
    }
  }
  return "";
}

}  // namespace

const SuiteResult* RunSummary::suite(const std::string& name) const {
  for (const auto& s : suites) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<double> RunSummary::cost_usd() const {
  double usd = 0;
  for (const auto& s : suites) {
    if (!s.cost_usd) return std::nullopt;
    usd += *s.cost_usd;
  }
  if (suites.empty()) return std::nullopt;
  return usd;
}

TokenCounts RunSummary::tokens() const {
  TokenCounts t;
  for (const auto& s : suites) t += s.tokens;
  return t;
}

RunSummary run_load_summary(const fs::path& dir) {
  const fs::path file = dir / "run.json";
  const std::string where = file.string();
  RunSummary r;
  r.raw = json_read_file(file, where, "cannot read (not a run directory?)");
  // NOTE: the checks below name the fields they expect; a value of another type they did not
  // foresee is still bad input, never a crash.
  try {
    const RunRecord run = RunRecord::from_json(r.raw, where);
    r.dir = dir;
    r.run_id = run.run_id;
    r.created = run.created;
    r.backend_id = str_or(run.backend, "id");
    // Another model than the entry's is another row: never pooled with or superseding its runs.
    const std::string sent = model_override(run);
    if (!sent.empty()) r.backend_id += " model=" + sent;
    r.backend_family = str_or(run.backend, "family");
    if (run.backend.contains("details")) r.device = str_or(run.backend["details"], "engine");
    r.suites = run.suites;  // before the scope, which names suites asked with other shots
    rescore_of(run, where, &r);
    if (run.merge.is_object() && run.merge.contains("runs") && run.merge["runs"].is_array()) {
      for (const json& shard : run.merge["runs"]) r.merged_runs.push_back(str_or(shard, "run_id"));
    }
    r.moebench_version = str_or(run.moebench, "version");
    r.host = str_or(run.host, "hostname");
    if (run.host.contains("gpus") && run.host["gpus"].is_array())
      r.gpus = static_cast<int>(run.host["gpus"].size());
    r.total_s = run.total_s;
    r.dispatch_s = run.dispatch_s;
    r.prompt_tokens = run.prompt_tokens;
    r.output_tokens = run.output_tokens;
    if (r.dispatch_s > 0 && (r.prompt_tokens > 0 || r.output_tokens > 0)) {
      r.prompt_tokens_per_s = run.prompt_tokens_per_s;
      r.output_tokens_per_s = run.output_tokens_per_s;
    }
    r.over_error_gate =
        run.failed_share() > num_or(run.options, "max_error_rate", kDefaultMaxErrorRate);
  } catch (const json::exception& e) {
    throw input_error(where, "unexpected JSON (" + json_error_reason(e) + ")");
  }
  return r;
}

void run_visit_samples(
    const fs::path& dir, const std::string& suite,
    const std::function<void(std::string&& line, SampleRecord&& sample)>& visit) {
  run_visit_samples_file(dir / "samples.jsonl", suite, visit);
}

void run_visit_samples_file(
    const fs::path& file, const std::string& suite,
    const std::function<void(std::string&& line, SampleRecord&& sample)>& visit) {
  std::ifstream in(file);
  if (!in) throw input_error(file.string(), "cannot read");
  std::string line;
  for (long line_no = 1; std::getline(in, line); ++line_no) {
    if (line.empty()) continue;
    const std::string where = file.string() + ":" + std::to_string(line_no);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
      throw input_error(where, "malformed JSON line (" + json_error_reason(e) + ")");
    }
    SampleRecord sample;
    try {
      if (!j.is_object() || !j.contains("suite") || !j["suite"].is_string()) {
        throw input_error(where, "missing string field 'suite'");
      }
      if (!suite.empty() && j["suite"] != suite) continue;
      sample = SampleRecord::from_json(j, where);
    } catch (const json::exception& e) {
      throw input_error(where, "unexpected JSON (" + json_error_reason(e) + ")");
    }
    visit(std::move(line), std::move(sample));
  }
}

std::vector<SampleRecord> run_load_samples(const fs::path& dir, const std::string& suite) {
  std::vector<SampleRecord> out;
  run_visit_samples(dir, suite,
                    [&](std::string&&, SampleRecord&& s) { out.push_back(std::move(s)); });
  return out;
}

namespace {

bool is_cost_table(const fs::path& file) {
  std::ifstream in(file);
  const json j = json::parse(in, nullptr, false);
  return j.is_object() && j.value("kind", json()) == "moebench-cost";
}

}  // namespace

std::vector<RunSummary> run_scan_dir(const fs::path& results_dir,
                                     std::vector<std::string>* problems) {
  std::error_code ec;
  if (!fs::is_directory(results_dir, ec)) {
    throw input_error(results_dir.string(), "not a directory");
  }
  std::vector<RunSummary> runs;
  for (const auto& entry : fs::directory_iterator(results_dir)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.empty() || name[0] == '.') continue;
    if (!fs::exists(entry.path() / "run.json")) continue;  // models/, bench/, ...
    try {
      runs.push_back(run_load_summary(entry.path()));
    } catch (const InputError& e) {
      // RESULTS_DIR/cost/ holds `moebench cost` tables (report shows them), one may be run.json.
      if (name == "cost" && is_cost_table(entry.path() / "run.json")) continue;
      problems->push_back(e.what());
    }
  }
  std::sort(runs.begin(), runs.end(), [](const RunSummary& a, const RunSummary& b) {
    return std::tie(a.created, a.run_id) < std::tie(b.created, b.run_id);
  });
  return runs;
}

fs::path run_dir_of(const fs::path& arg) {
  if (arg.filename() == "run.json") return arg.parent_path().empty() ? "." : arg.parent_path();
  return arg;
}

std::vector<std::string> run_samples_mismatch(const RunSummary& run,
                                              const std::vector<SampleRecord>& samples) {
  std::map<std::string, long> count;
  for (const SampleRecord& s : samples) ++count[s.suite];
  return run_samples_mismatch(run, count, run.dir / "samples.jsonl");
}

std::vector<std::string> run_samples_mismatch(const RunSummary& run,
                                              const std::map<std::string, long>& count,
                                              const fs::path& file) {
  std::vector<std::string> out;
  for (const SuiteResult& s : run.suites) {
    // NOTE: --repeats N writes N samples per document.
    const long want = s.n_docs * std::max(1, s.repeats);
    const auto it = count.find(s.name);
    const long have = it == count.end() ? 0 : it->second;
    if (have != want) {
      out.push_back(file.string() + " has " + std::to_string(have) + " samples of suite '" +
                    s.name + "' but run.json says " + std::to_string(want) +
                    " (a truncated or edited file?)");
    }
  }
  return out;
}

}  // namespace moebench
