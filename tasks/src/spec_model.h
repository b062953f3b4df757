// The parsed form of a suite spec beyond the public SuiteSpec fields (dataset layout, prompt
// templates, choices, gold, oracle), and the validating reader both suite_read_spec and
// SuiteInstance::open use. Internal to tasks/.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace moebench {

inline constexpr int kSpecSchema = 1;

// A list of templates, or one template applied to each element of a list in the doc
// ({"for": "question.choices", "template": " {{item.text}}"}).
struct ListSpec {
  bool present = false;
  std::vector<std::string> items;
  std::string for_path;  // non-empty: the loop form
  std::string for_template;
};

struct SplitSpec {
  std::vector<std::string> files;  // globs relative to the dataset dir
  std::string range_field;         // keep records with min <= field <= max (MBPP task ids)
  long range_min = 0;
  long range_max = 0;
};

struct DatasetSpec {
  std::string dir;
  std::string format;  // jsonl | jsonl.gz | csv | gaokao_json
  bool csv_header = false;
  std::vector<std::string> csv_columns;
  std::map<std::string, SplitSpec> splits;
  std::string eval_split;
  std::string fewshot_split;       // "" when there is none
  std::string id;                  // template over the record + _split, _file, _stem, _index, ...
  std::string subject;             // template; "" = no subjects
  bool subjects_are_tasks = true;  // SuiteSpec::subjects_are_tasks
};

struct ChatSpec {
  std::string system;
  std::string user;                // per-doc user message; default prompt.doc_to_text
  std::string assistant;           // few-shot answers in "turns" mode; default the few-shot target
  std::string fewshot = "inline";  // inline | turns | none
};

struct PromptSpec {
  std::string description;  // may use _subject and _subject_vars only
  std::string doc_to_text;
  std::string doc_to_target;
  std::string fewshot_target;  // "" = doc_to_target (choice suites: the gold choice)
  std::string target_delimiter = " ";
  std::string fewshot_delimiter = "\n\n";
  int num_fewshot = 0;
  std::string fewshot_sampler = "first_n";  // first_n | random (lm-eval's default sampler)
  long fewshot_seed = 1234;                 // random: lm-eval's fewshot_random_seed
  bool fewshot_by_subject = false;
  nlohmann::json fewshot_docs;  // inline pool (null = use dataset.fewshot_split)
  ChatSpec chat;
};

struct GoldSpec {
  bool present = false;
  std::string answer;  // template; a label, an index, or a list of labels
  ListSpec labels;     // the label of each choice; absent = answer is an index
};

struct SpecModel {
  std::string display;  // spec path as error messages show it
  DatasetSpec dataset;
  std::string samples;  // dir under tasks/samples
  nlohmann::json subject_vars = nlohmann::json::object();
  PromptSpec prompt;
  ListSpec choices;
  GoldSpec gold;
  std::string oracle;
};

// "tasks/math/gsm8k.json" for any path that has a "tasks" component; else the path as given.
std::string spec_display_path(const std::filesystem::path& file);

// Validates `raw` completely (types, required and unknown fields, template syntax) and fills
// the public spec and the model; InputError "<display>: field 'a.b': <what>" on the first fault.
struct SuiteSpec;
void spec_parse(const nlohmann::json& raw, const std::string& display, SuiteSpec* spec,
                SpecModel* model);

}  // namespace moebench
