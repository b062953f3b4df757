// `moebench rescore FILE`: score recorded responses again (a run's samples.jsonl or {id, response}
// JSONL) through the replay backend, over only the suites and documents the file holds.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "backends/validation/replay.h"
#include "common/error.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"
#include "harness/data/data_dir.h"
#include "reports/run_load.h"

namespace moebench {
namespace {

// A file beside a run.json is taken as that run's samples and scored under its model and options,
// so both are checked as compare and report check them: the run.json read whole (a malformed one
// named, or the field it lacks), and the file holding, per suite, the samples the run.json counts.
// NOTE: a cut file would otherwise be scored as the whole run and stand for it on its row.
RunSummary rescore_recorded_run(const std::filesystem::path& file) {
  RunSummary run = run_load_summary(file.parent_path());
  std::map<std::string, long> count;
  run_visit_samples_file(file, "", [&](std::string&&, SampleRecord&& s) { ++count[s.suite]; });
  const std::vector<std::string> problems = run_samples_mismatch(run, count, file);
  if (!problems.empty()) {
    const size_t more = problems.size() - 1;
    throw InputError(problems.front() +
                     (more ? " and " + std::to_string(more) + " more suite(s) differ" : "") +
                     "; to rescore a part of a run, copy it away from its run.json");
  }
  return run;
}

// Where rescored responses came from: a samples.jsonl next to its run.json is a recorded run, and
// the rescore keeps that run's backend id and options (its model and data scope on the
// leaderboard). A rescore of a rescore points at the first run. Null for a plain responses file;
// *run_file is the run.json read, *options_field its "options" or "rescore.options" and
// *generation each suite's spec.generation (the sampling its answers were asked with).
nlohmann::json rescore_source(const std::string& file, std::string* run_file,
                              std::string* options_field,
                              std::map<std::string, nlohmann::json>* generation) {
  const std::filesystem::path run_json = std::filesystem::path(file).parent_path() / "run.json";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(run_json, ec)) return nullptr;
  const RunSummary recorded = rescore_recorded_run(file);
  for (const SuiteResult& s : recorded.suites) {
    if (s.spec.is_object()) (*generation)[s.name] = s.spec.value("generation", nlohmann::json());
  }
  const nlohmann::json& run = recorded.raw;  // run_id and backend.id are strings
  nlohmann::json origin = {{"source", file},
                           {"of_run", recorded.run_id},
                           {"backend", recorded.backend_id},  // with a model override
                           {"backend_family", recorded.backend_family},
                           {"options", run.value("options", nlohmann::json::object())}};
  *run_file = run_json.string();
  *options_field = "options";
  const nlohmann::json earlier = run.value("rescore", nlohmann::json());
  if (earlier.is_object() && earlier.value("backend", nlohmann::json()).is_string()) {
    for (const char* key : {"of_run", "backend", "backend_family"}) {
      if (earlier.contains(key)) origin[key] = earlier[key];
    }
    // Absent or null: the run's own options scope it, as the reports read it (run_load_summary,
    // which has refused options of another type by field).
    if (!earlier.value("options", nlohmann::json()).is_null()) {
      origin["options"] = earlier["options"];
      *options_field = "rescore.options";
    }
  }
  return origin;
}

// The suites and documents present in a replay file, so rescore touches only those. The file is
// parsed by ReplayBackend, the one reader of its format.
void rescore_scope(const std::string& file, RunOptions* o) {
  std::set<std::string> suites;
  const ReplayBackend replay(file);
  o->only_docs_file = file;
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
  std::string gen_kwargs;  // a plain responses file's (a run's samples take their run's)
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

// The recorded options of the run being rescored, each read with the field it came from.
struct RecordedOptions {
  const nlohmann::json& options;
  std::string file;   // the run.json
  std::string field;  // "options" or "rescore.options"

  const nlohmann::json& get(const char* key) const {
    static const nlohmann::json kNull;
    return options.contains(key) ? options[key] : kNull;
  }
  std::string name(const char* key) const { return field + "." + key; }
  InputError bad(const char* key, const std::string& want) const {
    return input_error(file,
                       "field '" + name(key) + "' must be " + want + ", got " + get(key).dump());
  }
  // An integer field of at least `min`; nullopt when absent or null.
  std::optional<long long> count(const char* key, long long min) const {
    const nlohmann::json& v = get(key);
    if (v.is_null()) return std::nullopt;
    if (!v.is_number_integer() || v.get<long long>() < min) {
      throw bad(key, "null or an integer >= " + std::to_string(min));
    }
    return v.get<long long>();
  }
};

// The documents a rescore scores the answers against are the run's: its bundled samples or its
// data dir. NOTE: the bundled samples reuse the datasets' document ids for other questions, so a
// flag picking the other source is refused by name; the run's data dir is read again while it
// exists (another dir holds the same pinned datasets, so --data-dir may move it).
void inherit_documents(const RecordedOptions& rec, CommonFlags* flags) {
  const nlohmann::json& samples = rec.get("samples");
  if (!samples.is_null() && !samples.is_boolean()) throw rec.bad("samples", "true or false");
  if (samples.is_boolean() && samples.get<bool>()) {
    if (!flags->data_dir.empty()) {
      throw InputError("--data-dir: " + rec.file + ": " + rec.name("samples") +
                       " is true: the run answered the bundled sample documents, whose "
                       "ids name other questions in the datasets; rescore without --data-dir");
    }
    flags->samples = true;
    return;
  }
  if (flags->samples) {
    throw InputError("--samples: " + rec.file + ": " + rec.name("samples") +
                     " is false: the run answered the datasets' documents, whose ids name "
                     "other questions in the bundled samples; rescore without --samples");
  }
  const nlohmann::json& dir = rec.get("data_dir");
  if (!dir.is_null() && !dir.is_string()) throw rec.bad("data_dir", "a path");
  if (!flags->data_dir.empty() || !dir.is_string()) return;
  namespace fs = std::filesystem;
  const fs::path recorded = dir.get<std::string>();
  std::error_code ec;
  const bool there = fs::is_directory(recorded, ec);
  // NOTE: a run.json written before the data dir was recorded absolute (reviewer 91, F1) may hold
  // a relative one, which named a dir of the run's working directory, not recorded: it is read
  // from this one, and the warning says so.
  const std::string was = rec.file + ": " + rec.name("data_dir") + " '" + recorded.string() + "'";
  if (there && recorded.is_relative()) {
    std::fprintf(stderr,
                 "moebench: warning: %s is a relative path; read from this working directory as "
                 "'%s' (pass --data-dir to name the dir the run read)\n",
                 was.c_str(), fs::absolute(recorded, ec).lexically_normal().c_str());
  }
  if (there) {
    flags->data_dir = recorded.string();
    return;
  }
  const DataDir now = data_dir_resolve("");
  std::fprintf(stderr, "moebench: warning: %s %s; the documents are read from '%s' (%s)\n",
               was.c_str(),
               recorded.is_relative() ? "is a relative path not found from this working directory"
                                      : "is gone",
               fs::absolute(now.path, ec).lexically_normal().c_str(), now.chosen_by.c_str());
}

// What else fixed the run's requests and scores, which rescore has no flags for: the seed,
// --num-fewshot and --gen-kwargs (n samples per document changes pass@k); and --limit unless
// given (the file's documents are within it; a smaller one scores a part of them).
void inherit_requests(const RecordedOptions& rec, RunOptions* o) {
  const nlohmann::json& seed = rec.get("seed");
  if (!seed.is_null() && !seed.is_number_unsigned()) throw rec.bad("seed", "an integer >= 0");
  if (seed.is_number_unsigned()) o->seed = seed.get<uint64_t>();
  if (auto n = rec.count("num_fewshot", 0)) o->num_fewshot = static_cast<int>(*n);
  const nlohmann::json& kw = rec.get("gen_kwargs");
  if (!kw.is_null() && !kw.is_string()) throw rec.bad("gen_kwargs", "null or \"key=value,...\"");
  try {
    if (kw.is_string()) o->gen_kwargs = cli_parse_gen_kwargs(kw.get<std::string>());
  } catch (const InputError& e) {
    throw input_error(rec.file, "field '" + rec.name("gen_kwargs") + "': " + e.what());
  }
  if (auto limit = rec.count("limit", 1); limit && !o->limit) o->limit = *limit;
}

// A --limit below the run's scores a part of each suite: the rescore's scope (the options the
// reports read from its record) is that limit, not the run's.
void record_limit(const RunOptions& o, nlohmann::json* origin) {
  if (!origin->is_object() || !o.limit) return;
  const nlohmann::json& recorded = (*origin)["options"].value("limit", nlohmann::json());
  if (!recorded.is_number_integer() || *o.limit < recorded.get<long>()) {
    (*origin)["options"]["limit"] = *o.limit;
  }
}

int rescore(const RescoreFlags& f, const CliContext& context) {
  RunOptions o;
  o.command_line = context.command_line;
  o.config = *context.config;
  std::string run_file, options_field;
  const nlohmann::json origin =
      rescore_source(f.file, &run_file, &options_field, &o.recorded_generation);
  CommonFlags common = f.common;
  if (common.include_path.empty()) common.include_path = recorded_include_path(origin);
  std::optional<RecordedOptions> recorded;
  if (origin.is_object())
    recorded.emplace(RecordedOptions{origin["options"], run_file, options_field});
  if (recorded) inherit_documents(*recorded, &common);
  cli_apply_common_flags(common, &o);
  if (recorded) inherit_requests(*recorded, &o);
  if (!f.gen_kwargs.empty() && recorded) {
    throw InputError("--gen-kwargs: " + run_file +
                     ": the run's samples are scored under the run's own gen_kwargs; to score "
                     "them under others, copy the file away from its run.json");
  }
  if (!f.gen_kwargs.empty()) o.gen_kwargs = cli_parse_gen_kwargs(f.gen_kwargs);
  o.backend = "replay:" + f.file;
  o.use_cache = false;
  rescore_scope(f.file, &o);
  o.rescore = origin;
  record_limit(o, &o.rescore);
  return cli_run(o);
}

}  // namespace

Command cmd_rescore(CLI::App& app, const CliContext& context) {
  auto f = std::make_shared<RescoreFlags>();
  CLI::App* rescore_app = app.add_subcommand(
      "rescore", "Re-score recorded responses (samples.jsonl or {id, response} JSONL)");
  cli_add_common_flags(rescore_app, &f->common);
  rescore_app->add_option("file", f->file, "Responses to score")->required();
  rescore_app->add_option("--gen-kwargs", f->gen_kwargs,
                          "A plain responses file's generation settings, key=value,... (n=10: "
                          "10 answers per document scored as samples); a run's samples.jsonl "
                          "takes its run's");
  return {rescore_app, [f, context] { return rescore(*f, context); }};
}

}  // namespace moebench
