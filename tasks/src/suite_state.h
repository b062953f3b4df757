// SuiteInstance's private state: the parsed spec, its compiled templates, and the prompt parts
// built once per subject at open (description + few-shot block), so prompt() only appends.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "tasks/src/spec_model.h"
#include "tasks/src/template.h"
#include "tasks/suite.h"
#include "tasks/suite_data.h"

namespace moebench {

// A ListSpec compiled: fixed templates, or one template per element of a doc list.
struct CompiledList {
  bool present = false;
  std::vector<Template> items;
  Template for_path;  // "{{path}}"
  Template for_template;

  static CompiledList compile(const ListSpec& spec, const std::string& where);
  std::vector<std::string> render(const TemplateScope& scope) const;
};

// One few-shot doc rendered once at open (filled only for the docs some prompt uses).
struct RenderedShot {
  bool done = false;
  std::string text;       // doc_to_text
  std::string answer;     // the few-shot target
  std::string user;       // chat "turns" mode: the user message
  std::string assistant;  // chat "turns" mode: the assistant message
};

struct SuiteInstance::State {
  SpecModel model;
  SuiteData data;       // which data the documents came from (tasks/suite_data.h)
  std::string display;  // spec file as error messages name it
  Template description, doc_to_text, doc_to_target, fewshot_target, oracle, gold_answer;
  Template chat_system, chat_user, chat_assistant;
  CompiledList choices, labels;

  // Per subject ("" when the suite has none), built at open.
  std::map<std::string, nlohmann::json> reserved;  // {"_subject": s, "_subject_vars": {...}}
  std::map<std::string, std::string> description_text;
  std::map<std::string, std::string> prefix;  // description + few-shot block (completion form)
  std::map<std::string, std::vector<ChatMessage>> turns;  // chat few-shot in "turns" mode

  // Sampler "random": each doc's few-shot docs (indexes into the pool, in lm-eval's order),
  // drawn for every doc at open; the per-subject prefix then holds only the description.
  bool per_doc_shots = false;
  std::unordered_map<std::string, std::vector<size_t>> doc_shots;  // doc id -> pool indexes
  std::vector<RenderedShot> shots;                                 // (pool size)

  // Appends the few-shot block of `picks` to the completion text and, in "turns" mode, the chat.
  void append_shots(const std::vector<size_t>& picks, std::string* text,
                    std::vector<ChatMessage>* chat_turns) const;
};

// Builds a SuiteInstance (the friend suite.h names); the loading steps live in suite_load.cpp.
struct SuiteInstanceBuilder {
  SuiteInstance inst;
  std::shared_ptr<SuiteInstance::State> st;
  std::filesystem::path base;  // the dataset dir, or tasks/samples/<samples>
  std::string hint;            // appended to missing-file errors
  std::string fetch;           // the command that fetches the suite's dataset
  // The dataset's files tasks/datasets.json lists (relative to base); empty when the data dir
  // is the user's own layout (or a samples run): then any file a split glob matches is read.
  std::set<std::string> listed;
  std::string table_name;  // the table's display path, for errors

  void compile_templates();
  void resolve_base(const DataSource& source);
  void check_listed(const DataSource& source);
  std::vector<Doc> load_split(const std::string& split);
  // Renders every eval doc's target and gold: InputError naming the doc on a bad one.
  void check_docs() const;
  void load_fewshot();
  void add_subject(const std::string& subject);
  // Doc::weight of every eval document from the spec's doc_weight templates (their product);
  // InputError naming the document when one gives no number > 0.
  void weigh_docs(const std::vector<std::string>& factors);
  // Few-shot selection and rendering (suite_fewshot.cpp).
  std::vector<size_t> subject_pool(const std::string& subject) const;
  void check_pool_size(const std::string& subject, size_t have, size_t need) const;
  void draw_random(bool strict);
  std::string fewshot_answer(const Doc& f) const;
  void render_shot(size_t index);
  void build_prefix(const std::string& subject, bool strict);

  // The variables a doc's templates see; shared with suite_prompt.cpp.
  static TemplateScope scope(const SuiteInstance::State& st, const Doc& doc,
                             const nlohmann::json* extra);
  static const SuiteInstance::State& state(const SuiteInstance& s) { return *s.state_; }
  static const std::vector<Doc>& fewshot(const SuiteInstance& s) { return s.fewshot_; }
};

}  // namespace moebench
