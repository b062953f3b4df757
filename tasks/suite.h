// A suite: its spec (data, tasks/<area>/<suite>.json), its loaded documents and few-shot pool, and
// the prompts, targets and oracle answers rendered from them. The runner uses only this header.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace moebench {

enum class OutputKind { kGenerate, kChoice };

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
};

struct GenerationSettings {
  int max_tokens = 256;
  std::vector<std::string> stop;  // the response is cut before the first of these
  // Stops added to `stop` when the prompt is sent as completion text, not chat messages
  // (HumanEval's
  // "\ndef": its chat form answers with a whole fenced function, which begins with "def").
  std::vector<std::string> completion_stop;
  double temperature = 0.0;
  double top_p = 1.0;
  int n_samples = 1;  // samples per document (pass@k needs n >= k)
  // Reasoning models: tokens the thinking may use on top of max_tokens (0 = thinking shares
  // max_tokens). A generation still thinking after this many tokens stops (truncated_thinking).
  int thinking_budget = 0;
};

// One evaluation item after loading.
struct Doc {
  std::string id;         // unique and stable within the suite, e.g. "test/17", "HumanEval/3"
  std::string subject;    // group key (MMLU subject); "" when the suite has none
  nlohmann::json fields;  // the record as loaded; templates refer to these names
  std::string source;     // "path:line" it came from, for error messages
  double weight = 1;      // its weight in the suite's mean (spec field doc_weight), > 0
};

// What a backend is asked for one document.
struct Prompt {
  std::string text;                        // completion form: description + few-shot + item
  std::vector<ChatMessage> messages;       // chat form
  std::vector<std::string> continuations;  // choice suites: scored continuations, in order
};

// Where suite specs and profiles are read: the tasks dir (--tasks-dir) and the suite directories
// that add to it (--include-path, lm-eval's --include_path). Each has the tasks dir's layout:
// <area>/<suite>.json, profiles/<name>.json, samples/, and for an added suite data/<dataset.dir>.
// A suite or profile name defined in two of them is an InputError naming both files.
struct TaskDirs {
  std::filesystem::path main;
  std::vector<std::filesystem::path> include;
  TaskDirs(std::filesystem::path m, std::vector<std::filesystem::path> added = {})
      : main(std::move(m)), include(std::move(added)) {}
  TaskDirs(const std::string& m) : main(m) {}
  TaskDirs(const char* m) : main(m) {}
  std::vector<std::filesystem::path> all() const;  // main first, then include in order
};

// Where documents come from.
struct DataSource {
  std::filesystem::path data_dir;   // --data-dir / $MOEBENCH_DATA / ../shared/datasets
  std::filesystem::path tasks_dir;  // holds <area>/<suite>.json and samples/
  bool samples = false;             // read <tasks dir>/samples/ instead of data_dir
  std::vector<std::filesystem::path> include_dirs;  // --include-path: suites added to tasks_dir's
  TaskDirs task_dirs() const { return {tasks_dir, include_dirs}; }
};

// The evaluation profile every suite has unless another is named (lm-eval's settings, the specs
// as written). Profiles are data: tasks/profiles/<name>.json (tasks/profile.h).
inline constexpr const char* kDefaultProfile = "lm-eval";

// How a profile wants a suite put to the model. kAuto: chat messages only to chat-only backends,
// choice suites by log-likelihood where the backend has it (lm-eval's rule). kCompletion: the raw
// prompt and log-likelihoods (base models). kChat: chat messages always, choices answered in text.
enum class PromptForm { kAuto, kCompletion, kChat };

// The parsed, validated spec. `raw` is the whole file, copied into run.json.
struct SuiteSpec {
  std::string name;
  std::string version;
  // The profile applied (its settings are already merged into `raw` and the fields below).
  std::string profile = kDefaultProfile;
  PromptForm form = PromptForm::kAuto;
  // run.json's record of the profile ({name, version, source, form, notes}); null = the default
  // profile of a tasks dir without tasks/profiles/lm-eval.json.
  nlohmann::json profile_record;
  // The suite as results, cache requests and reports name it: "gsm8k" under the default profile,
  // "gsm8k@deepseek-v3-base" under another, so scores of different settings never mix.
  // With a subject selection ("mmlu:anatomy", globs "mmlu:high_school_*") it is part of the key.
  std::string subjects;  // "" = every subject
  std::string key() const {
    return name + (subjects.empty() ? "" : ":" + subjects) +
           (profile == kDefaultProfile ? "" : "@" + profile);
  }
  std::string area;  // math | code | exam
  std::string description;
  OutputKind output = OutputKind::kGenerate;
  GenerationSettings generation;
  nlohmann::json filters;          // list of {name, steps: [{fn, ...args}]}; checked by scoring
  nlohmann::json metrics;          // list of {metric, ...args}; checked by scoring
  nlohmann::json chat_fallback;    // choice suites: {filters, metrics} when no log-likelihoods
  bool weight_by_subject = false;  // suite mean = subject-size-weighted mean (MMLU)
  // Whether each subject is a task of its own in lm-eval (MMLU's, C-Eval's files), so --limit N
  // takes the first N of each; false: one task with a breakdown by subject (MATH-500).
  bool subjects_are_tasks = true;
  // Templates whose values multiply to a document's weight: the suite and subject means are then
  // sum(w v) / sum(w) (gaokao: {{score}} x {{answer|count}}, GAOKAO-Bench's points). Empty: 1.
  std::vector<std::string> doc_weight;
  std::filesystem::path file;  // where it was read from (error messages name it)
  nlohmann::json raw;
};

class SuiteInstance;

// Reads and validates one spec file; InputError names the file and field.
SuiteSpec suite_read_spec(const std::filesystem::path& file);
// All specs under <dir>/<area>/*.json of every dir, sorted by name.
std::vector<SuiteSpec> suite_list_specs(const TaskDirs& dirs);
// Finds a spec by name; InputError "unknown suite 'x' (known: ...)" otherwise.
SuiteSpec suite_find_spec(const TaskDirs& dirs, const std::string& name);
// The tasks or include dir a spec was read from (<dir>/<area>/<suite>.json); "" when unknown.
std::filesystem::path suite_spec_root(const SuiteSpec& spec);
// The data a suite added by --include-path ships (<its dir>/data/<dataset.dir>), or "" for a
// shipped suite or one whose data lives in the data dir.
std::filesystem::path suite_own_data(const SuiteSpec& spec, const std::filesystem::path& tasks_dir);

// A spec with its documents and few-shot pool loaded from a DataSource.
class SuiteInstance {
 public:
  // Loads every eval document and the few-shot pool; InputError names file:line on bad data and
  // the missing path when the data dir lacks the suite's files.
  static SuiteInstance open(const SuiteSpec& spec, const DataSource& source);

  const SuiteSpec& spec() const { return spec_; }
  const std::vector<Doc>& docs() const { return docs_; }

  Prompt prompt(const Doc& doc) const;
  // The reference text metrics compare with (e.g. GSM8K's full answer, MATH's solution).
  std::string target(const Doc& doc) const;
  // Choice suites: indexes of the correct continuations (one for MMLU; several for multi-answer).
  std::vector<int> gold_choices(const Doc& doc) const;
  // The reference solution written the way the suite expects a model to answer (oracle backend).
  std::string oracle_response(const Doc& doc) const;
  // Renders a template (the spec's syntax) against a document plus extra variables.
  std::string render(const std::string& tmpl, const Doc& doc,
                     const nlohmann::json& extra = nlohmann::json::object()) const;

 private:
  SuiteSpec spec_;
  std::vector<Doc> docs_;
  std::vector<Doc> fewshot_;  // the few-shot pool, in file order
  // Compiled templates and per-subject prompt prefixes (tasks/src/suite_state.h).
  struct State;
  std::shared_ptr<const State> state_;
  friend struct SuiteInstanceBuilder;
};

}  // namespace moebench
