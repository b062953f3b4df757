// Suite spec files: validation of every field (spec_parse), and suite_read_spec,
// suite_list_specs, suite_find_spec. The schema is documented in tasks/README.md.
#include <algorithm>
#include <limits>
#include <map>

#include "common/error.h"
#include "common/json_file.h"
#include "tasks/src/spec_fields.h"
#include "tasks/src/spec_model.h"
#include "tasks/src/template.h"
#include "tasks/suite.h"

namespace moebench {

namespace fs = std::filesystem;
using nlohmann::json;

std::string spec_display_path(const fs::path& file) {
  std::vector<std::string> parts;
  for (const fs::path& p : file) parts.push_back(p.string());
  for (size_t i = parts.size(); i-- > 0;) {
    if (parts[i] != "tasks") continue;
    std::string out;
    for (size_t j = i; j < parts.size(); ++j) out += (j > i ? "/" : "") + parts[j];
    return out;
  }
  return file.string();
}

namespace {

// Compiles a template only to report syntax errors at load time, naming the field.
std::string checked_template(SpecFields& f, const std::string& key, const std::string& dflt,
                             bool required = false) {
  std::string t = required ? f.str(key) : f.str(key, dflt);
  Template::compile(t, f.display() + ": field '" + f.field(key) + "'");
  return t;
}

ListSpec read_list(SpecFields& parent, const std::string& key, bool required) {
  ListSpec out;
  if (!parent.has(key)) {
    if (required) parent.fail(key, "missing required field");
    parent.any(key);
    return out;
  }
  out.present = true;
  const json& v = parent.any(key);
  if (v.is_array()) {
    std::vector<std::string> items = parent.strings(key);
    for (size_t i = 0; i < items.size(); ++i) {
      Template::compile(items[i], parent.display() + ": field '" + parent.field(key) + "[" +
                                      std::to_string(i) + "]'");
    }
    out.items = std::move(items);
    return out;
  }
  if (v.is_string()) {  // "ABCD": one label per character
    for (char c : v.get<std::string>()) out.items.emplace_back(1, c);
    return out;
  }
  if (!v.is_object()) parent.fail(key, "expected a list of templates or {\"for\", \"template\"}");
  SpecFields f = parent.object(key);
  out.for_path = f.str("for");
  out.for_template = checked_template(f, "template", "", true);
  Template::compile("{{" + out.for_path + "}}", f.display() + ": field '" + f.field("for") + "'");
  f.finish();
  return out;
}

void check_filters(const json& list, const SpecFields& owner, const std::string& key) {
  for (size_t i = 0; i < list.size(); ++i) {
    std::string at = key + "[" + std::to_string(i) + "]";
    if (!list[i].is_object()) owner.fail(at, "expected an object {name, steps}");
    SpecFields f(list[i], owner.display(), owner.field(at));
    f.str("name");
    const json& steps = f.array("steps");
    for (size_t s = 0; s < steps.size(); ++s) {
      std::string st = "steps[" + std::to_string(s) + "]";
      if (!steps[s].is_object()) f.fail(st, "expected an object {fn, ...args}");
      SpecFields(steps[s], owner.display(), f.field(st)).str("fn");
    }
    f.finish();
  }
}

void check_metrics(const json& list, const SpecFields& owner, const std::string& key) {
  for (size_t i = 0; i < list.size(); ++i) {
    std::string at = key + "[" + std::to_string(i) + "]";
    if (!list[i].is_object()) owner.fail(at, "expected an object {metric, ...args}");
    SpecFields f(list[i], owner.display(), owner.field(at));
    f.str("metric");
    f.str("name", "");
    f.strings("filters");
  }
}

// A count from 1 to INT_MAX, checked before it is narrowed (4294967297 was 1).
int positive_int(SpecFields& f, const std::string& key, long dflt, bool required = false) {
  const long v = f.integer(key, dflt, required);
  if (v < 1 || v > std::numeric_limits<int>::max()) {
    f.fail(key, "must be from 1 to " + std::to_string(std::numeric_limits<int>::max()));
  }
  return static_cast<int>(v);
}

GenerationSettings read_generation(SpecFields f) {
  GenerationSettings g;
  g.max_tokens = positive_int(f, "max_tokens", g.max_tokens, true);
  g.stop = f.strings("stop");
  g.completion_stop = f.strings("completion_stop");
  g.temperature = f.number("temperature", g.temperature);
  if (g.temperature < 0) f.fail("temperature", "must not be negative");
  g.top_p = f.number("top_p", g.top_p);
  if (!(g.top_p > 0 && g.top_p <= 1)) f.fail("top_p", "must be in (0, 1]");
  g.n_samples = positive_int(f, "n_samples", g.n_samples);
  const long budget = f.integer("thinking_budget", 0);
  if (budget < 0 || budget > std::numeric_limits<int>::max()) {
    f.fail("thinking_budget",
           "must be from 0 to " + std::to_string(std::numeric_limits<int>::max()));
  }
  g.thinking_budget = static_cast<int>(budget);
  f.finish();
  return g;
}

SplitSpec read_split(SpecFields& splits, const std::string& name) {
  SplitSpec s;
  if (splits.any(name).is_array()) {
    s.files = splits.strings(name);
  } else {
    SpecFields f = splits.object(name);
    s.files = f.strings("files", true);
    if (f.has("range")) {
      SpecFields r = f.object("range");
      s.range_field = r.str("field");
      s.range_min = r.integer("min", 0, true);
      s.range_max = r.integer("max", 0, true);
      r.finish();
    }
    f.finish();
  }
  if (s.files.empty()) splits.fail(name, "lists no files");
  return s;
}

DatasetSpec read_dataset(SpecFields f) {
  DatasetSpec d;
  d.dir = f.str("dir");
  d.format = f.one_of("format", {"jsonl", "jsonl.gz", "csv", "gaokao_json"});
  SpecFields csv = f.object("csv", d.format == "csv");
  d.csv_header = csv.boolean("header", false);
  d.csv_columns = csv.strings("columns");
  if (d.format == "csv" && !d.csv_header && d.csv_columns.empty()) {
    csv.fail("columns", "required when the CSV has no header");
  }
  csv.finish();
  SpecFields splits = f.object("splits");
  const json& raw_splits = f.any("splits");
  for (auto it = raw_splits.begin(); it != raw_splits.end(); ++it) {
    d.splits[it.key()] = read_split(splits, it.key());
  }
  d.eval_split = f.str("eval_split");
  d.fewshot_split = f.str("fewshot_split", "");
  if (!d.splits.count(d.eval_split)) f.fail("eval_split", "no split '" + d.eval_split + "'");
  if (!d.fewshot_split.empty() && !d.splits.count(d.fewshot_split)) {
    f.fail("fewshot_split", "no split '" + d.fewshot_split + "'");
  }
  d.id = checked_template(f, "id", "", true);
  d.subject = checked_template(f, "subject", "");
  d.subjects_are_tasks = f.boolean("subjects_are_tasks", true);
  f.finish();
  return d;
}

ChatSpec read_chat(SpecFields f) {
  ChatSpec c;
  c.system = checked_template(f, "system", "");
  c.user = checked_template(f, "user", "");
  c.assistant = checked_template(f, "assistant", "");
  c.fewshot = f.one_of("fewshot", {"inline", "turns", "none"}, "inline");
  f.finish();
  return c;
}

PromptSpec read_prompt(SpecFields f) {
  PromptSpec p;
  p.description = checked_template(f, "description", "");
  p.doc_to_text = checked_template(f, "doc_to_text", "", true);
  p.doc_to_target = checked_template(f, "doc_to_target", "");
  p.fewshot_target = checked_template(f, "fewshot_target", "");
  p.target_delimiter = f.str("target_delimiter", p.target_delimiter);
  p.fewshot_delimiter = f.str("fewshot_delimiter", p.fewshot_delimiter);
  p.num_fewshot = static_cast<int>(f.integer("num_fewshot", 0));
  if (p.num_fewshot < 0) f.fail("num_fewshot", "must be >= 0");
  p.fewshot_sampler = f.one_of("fewshot_sampler", {"first_n", "random"}, "first_n");
  if (f.has("fewshot_seed") && p.fewshot_sampler != "random") {
    f.fail("fewshot_seed", "only used with fewshot_sampler 'random'");
  }
  p.fewshot_seed = f.integer("fewshot_seed", p.fewshot_seed);
  p.fewshot_by_subject = f.boolean("fewshot_by_subject", false);
  if (f.has("fewshot_docs")) {
    const json& docs = f.array("fewshot_docs");
    for (size_t i = 0; i < docs.size(); ++i) {
      if (!docs[i].is_object())
        f.fail("fewshot_docs[" + std::to_string(i) + "]", "expected an object");
    }
    p.fewshot_docs = docs;
  } else {
    f.any("fewshot_docs");
  }
  if (f.has("chat")) {
    p.chat = read_chat(f.object("chat"));
  } else {
    f.any("chat");
  }
  f.finish();
  return p;
}

GoldSpec read_gold(SpecFields& top, bool required) {
  GoldSpec g;
  if (!top.has("gold")) {
    if (required) top.fail("gold", "missing required field");
    top.any("gold");
    return g;
  }
  SpecFields f = top.object("gold");
  g.present = true;
  g.answer = checked_template(f, "answer", "", true);
  g.labels = read_list(f, "labels", false);
  f.finish();
  return g;
}

void read_scoring(SpecFields& top, SuiteSpec* spec) {
  spec->filters = top.array("filters", false);
  check_filters(spec->filters, top, "filters");
  spec->metrics = top.array("metrics");
  if (spec->metrics.empty()) top.fail("metrics", "lists no metric");
  check_metrics(spec->metrics, top, "metrics");
  if (!top.has("chat_fallback")) {
    if (spec->output == OutputKind::kChoice) top.fail("chat_fallback", "missing required field");
    top.any("chat_fallback");
    spec->chat_fallback = json::object();
    return;
  }
  SpecFields cf = top.object("chat_fallback");
  check_filters(cf.array("filters", false), cf, "filters");
  check_metrics(cf.array("metrics"), cf, "metrics");
  cf.finish();
  spec->chat_fallback = top.any("chat_fallback");
}

// "doc_weight": one template or a list of them, whose values multiply to a document's weight in
// the suite's mean (gaokao: points x sub-questions). Checked here; valued per document at open.
std::vector<std::string> read_doc_weight(SpecFields& top, bool weight_by_subject) {
  if (!top.has("doc_weight")) {
    top.any("doc_weight");
    return {};
  }
  const json& v = top.any("doc_weight");
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array() && !v.empty()) {
    out = top.strings("doc_weight");
  } else {
    top.fail("doc_weight", "expected a template or a non-empty list of templates");
  }
  for (size_t i = 0; i < out.size(); ++i) {
    Template::compile(out[i], top.display() + ": field 'doc_weight[" + std::to_string(i) + "]'");
  }
  if (weight_by_subject) {
    top.fail("doc_weight",
             "a suite weighs its documents or its subjects, not both "
             "(weight_by_subject is true)");
  }
  return out;
}

}  // namespace

void spec_parse(const json& raw, const std::string& display, SuiteSpec* spec, SpecModel* model) {
  if (!raw.is_object()) throw input_error(display, "expected a JSON object");
  SpecFields top(raw, display, "");
  long schema = top.integer("schema", 0, true);
  if (schema != kSpecSchema) {
    top.fail("schema", "unsupported schema " + std::to_string(schema) + " (this build reads " +
                           std::to_string(kSpecSchema) + ")");
  }
  spec->name = top.str("name");
  spec->version = top.str("version");
  spec->area = top.one_of("area", {"math", "code", "exam"});
  spec->description = top.str("description");
  top.str("mirrors", "");
  top.str("notes", "");
  std::string output = top.one_of("output", {"generate", "choice"});
  spec->output = output == "choice" ? OutputKind::kChoice : OutputKind::kGenerate;
  model->display = display;
  model->dataset = read_dataset(top.object("dataset"));
  spec->subjects_are_tasks = model->dataset.subjects_are_tasks;
  model->samples = top.str("samples");
  if (top.has("subject_vars")) {
    top.object("subject_vars");  // type check
    model->subject_vars = top.any("subject_vars");
  } else {
    top.any("subject_vars");
  }
  model->prompt = read_prompt(top.object("prompt"));
  // NOTE: lm-eval draws num_fewshot + 1 and drops the doc itself when the few-shot split is the
  // eval split; only the per-doc "random" sampler does that here.
  if (model->dataset.fewshot_split == model->dataset.eval_split &&
      model->prompt.fewshot_sampler != "random") {
    top.fail("dataset.fewshot_split",
             "must differ from eval_split (unless fewshot_sampler is 'random')");
  }
  bool choice = spec->output == OutputKind::kChoice;
  model->choices = read_list(top, "choices", choice);
  model->gold = read_gold(top, choice);
  spec->generation = read_generation(top.object("generation"));
  read_scoring(top, spec);
  spec->weight_by_subject = top.boolean("weight_by_subject", false);
  spec->doc_weight = read_doc_weight(top, spec->weight_by_subject);
  model->oracle = checked_template(top, "oracle", "", true);
  top.finish();
  spec->raw = raw;
}

SuiteSpec suite_read_spec(const fs::path& file) {
  std::string display = spec_display_path(file);
  const json raw = json_read_file(file, display, "cannot read spec file");
  SuiteSpec spec;
  SpecModel model;
  spec_parse(raw, display, &spec, &model);
  if (spec.name != file.stem().string()) {
    throw input_error(display, "field 'name': '" + spec.name + "' differs from the file name");
  }
  spec.file = file;
  return spec;
}

namespace {

// Spec files: <dir>/<area>/*.json of every dir (samples/, src/, profiles/ and data/ are not
// areas).
std::vector<fs::path> spec_files(const TaskDirs& dirs) {
  std::vector<fs::path> out;
  for (const fs::path& dir : dirs.all()) {
    if (!fs::is_directory(dir)) throw input_error(dir.string(), "tasks directory not found");
    std::vector<fs::path> here;
    for (const fs::directory_entry& area : fs::directory_iterator(dir)) {
      std::string a = area.path().filename().string();
      if (!area.is_directory() || a == "samples" || a == "src" || a == "profiles" || a == "data") {
        continue;
      }
      for (const fs::directory_entry& f : fs::directory_iterator(area.path())) {
        if (f.is_regular_file() && f.path().extension() == ".json") here.push_back(f.path());
      }
    }
    std::sort(here.begin(), here.end());
    out.insert(out.end(), here.begin(), here.end());
  }
  return out;
}

// A suite name defined by two files (in one dir or across --include-path dirs).
[[noreturn]] void fail_twice(const fs::path& file, const std::string& name, const fs::path& other) {
  throw input_error(spec_display_path(file),
                    "suite name '" + name + "' is also used by " + spec_display_path(other));
}

}  // namespace

std::vector<fs::path> TaskDirs::all() const {
  std::vector<fs::path> out{main};
  out.insert(out.end(), include.begin(), include.end());
  return out;
}

fs::path suite_spec_root(const SuiteSpec& spec) {
  return spec.file.empty() ? fs::path() : spec.file.parent_path().parent_path();
}

fs::path suite_own_data(const SuiteSpec& spec, const fs::path& tasks_dir) {
  const fs::path root = suite_spec_root(spec);
  std::error_code ec;
  if (root.empty() || fs::equivalent(root, tasks_dir, ec)) return {};
  const fs::path own = root / "data" / spec.raw["dataset"].value("dir", "");
  return fs::is_directory(own, ec) ? own : fs::path();
}

std::vector<SuiteSpec> suite_list_specs(const TaskDirs& dirs) {
  std::vector<SuiteSpec> out;
  for (const fs::path& f : spec_files(dirs)) out.push_back(suite_read_spec(f));
  std::stable_sort(out.begin(), out.end(),
                   [](const SuiteSpec& a, const SuiteSpec& b) { return a.name < b.name; });
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].name == out[i - 1].name) fail_twice(out[i].file, out[i].name, out[i - 1].file);
  }
  return out;
}

SuiteSpec suite_find_spec(const TaskDirs& dirs, const std::string& name) {
  std::vector<std::string> known;
  std::map<std::string, fs::path> by_name;  // a name in two dirs is an error even when not asked
  fs::path found;
  for (const fs::path& f : spec_files(dirs)) {
    auto [at, fresh] = by_name.emplace(f.stem().string(), f);
    if (!fresh) fail_twice(f, f.stem().string(), at->second);
    if (f.stem().string() == name) {
      found = f;
    } else {
      known.push_back(f.stem().string());
    }
  }
  if (!found.empty()) return suite_read_spec(found);
  std::sort(known.begin(), known.end());
  std::string list;
  for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
  throw InputError("unknown suite '" + name + "' (known: " + list + ")");
}

}  // namespace moebench
