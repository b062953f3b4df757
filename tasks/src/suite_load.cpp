// SuiteInstance::open: resolves the data (real dir or tasks/samples), loads the eval split and
// the few-shot pool through the format loaders, forms Doc ids and subjects, prebuilds the
// per-subject prompt prefixes and draws the per-doc few-shot docs (suite_fewshot.cpp).
#include <cmath>
#include <unordered_set>

#include "common/error.h"
#include "tasks/dataset_table.h"
#include "tasks/src/loaders.h"
#include "tasks/src/suite_state.h"

namespace moebench {

namespace fs = std::filesystem;
using nlohmann::json;

CompiledList CompiledList::compile(const ListSpec& spec, const std::string& where) {
  CompiledList c;
  c.present = spec.present;
  for (size_t i = 0; i < spec.items.size(); ++i) {
    c.items.push_back(Template::compile(spec.items[i], where + "[" + std::to_string(i) + "]'"));
  }
  if (!spec.for_path.empty()) {
    c.for_path = Template::compile("{{" + spec.for_path + "}}", where + ".for'");
    c.for_template = Template::compile(spec.for_template, where + ".template'");
  }
  return c;
}

std::vector<std::string> CompiledList::render(const TemplateScope& scope) const {
  std::vector<std::string> out;
  if (for_path.empty()) {
    for (const Template& t : items) out.push_back(t.render(scope));
    return out;
  }
  json list = for_path.render_value(scope);
  if (!list.is_array()) {
    throw input_error(for_path.where(), "not a list (doc " + std::string(scope.source) + ")");
  }
  json vars = json::object();
  TemplateScope inner = scope;
  inner.extra = &vars;
  for (size_t i = 0; i < list.size(); ++i) {
    vars["item"] = std::move(list[i]);
    vars["index"] = i;
    vars["number"] = i + 1;
    vars["letter"] = std::string(1, static_cast<char>('A' + i));
    vars["is_last"] = i + 1 == list.size();
    out.push_back(for_template.render(inner));
  }
  return out;
}

namespace {

// Keeps a record when its range field (if the split has one) lies within [min, max].
bool in_range(const SplitSpec& sp, const Record& rec, const std::string& where) {
  if (sp.range_field.empty()) return true;
  auto it = rec.fields.find(sp.range_field);
  if (it == rec.fields.end() || !it->is_number_integer()) {
    throw input_error(where, "field '" + sp.range_field + "' must be an integer (split range)");
  }
  long v = it->get<long>();
  return v >= sp.range_min && v <= sp.range_max;
}

// Whether the data dir holds a dataset of the table other than `except` as fetched (every file
// there at its size).
bool holds_fetched(const DatasetTable& table, const std::string& except, const DataSource& s) {
  for (const auto& [name, d] : table.datasets) {
    if (name != except && dataset_presence(d, s.data_dir).complete()) return true;
  }
  return false;
}

}  // namespace

TemplateScope SuiteInstanceBuilder::scope(const SuiteInstance::State& st, const Doc& doc,
                                          const json* extra) {
  static const json kNoSubject = json::object();
  auto it = st.reserved.find(doc.subject);
  return TemplateScope{&doc.fields, extra, it == st.reserved.end() ? &kNoSubject : &it->second,
                       doc.source};
}

void SuiteInstanceBuilder::compile_templates() {
  const SpecModel& m = st->model;
  auto c = [&](const std::string& text, const std::string& field,
               NullValue null = NullValue::kEmpty) {
    return Template::compile(text, st->display + ": field '" + field + "'", null);
  };
  // What a document is scored against: a null field there is an error (reviewer 72, F4), where
  // prompt text renders it as nothing (AGIEval's passage is null for most questions).
  const NullValue target = NullValue::kError;
  st->description = c(m.prompt.description, "prompt.description");
  st->doc_to_text = c(m.prompt.doc_to_text, "prompt.doc_to_text");
  st->doc_to_target = c(m.prompt.doc_to_target, "prompt.doc_to_target", target);
  st->fewshot_target = c(m.prompt.fewshot_target, "prompt.fewshot_target", target);
  st->oracle = c(m.oracle, "oracle", target);
  st->gold_answer = c(m.gold.answer, "gold.answer", target);
  st->chat_system = c(m.prompt.chat.system, "prompt.chat.system");
  st->chat_user = c(m.prompt.chat.user, "prompt.chat.user");
  st->chat_assistant = c(m.prompt.chat.assistant, "prompt.chat.assistant", target);
  st->choices = CompiledList::compile(m.choices, st->display + ": field 'choices");
  st->labels = CompiledList::compile(m.gold.labels, st->display + ": field 'gold.labels");
}

void SuiteInstanceBuilder::resolve_base(const DataSource& source) {
  const SpecModel& m = st->model;
  // A suite added by --include-path reads its samples, and its data when it ships them, from
  // its own dir; a shipped suite from the tasks dir and the data dir.
  fs::path root = suite_spec_root(inst.spec_);
  if (root.empty()) root = source.tasks_dir;
  if (source.samples) {
    st->data.kind = "samples";
    base = root / "samples" / m.samples;
    if (!fs::is_directory(base)) {
      throw input_error(base.string(), "samples directory not found (spec field 'samples')");
    }
    return;
  }
  // The data dir may be absent: nothing was fetched yet. Either way the suite names what to run.
  const std::string& name = inst.spec_.name;
  fetch = "moebench data fetch " + name + " --data-dir '" + source.data_dir.string() + "'";
  hint = " (fetch it with: " + fetch + ")";
  if (fs::path own = suite_own_data(inst.spec_, source.tasks_dir); !own.empty()) {
    base = std::move(own);
    hint.clear();
    return;
  }
  base = source.data_dir / m.dataset.dir;
  if (source.data_dir.empty() || !fs::is_directory(base)) {
    throw InputError(name + ": no data in " + base.string() + "; fetch it with: " + fetch +
                     " (or pass --data-dir, set $MOEBENCH_DATA, or use --samples)");
  }
  check_listed(source);
}

// NOTE: split files are globbed, so a dataset missing a file, or holding one cut at a line end,
// ran on the rest with exit 0 as the whole suite (a 56-subject MMLU), and a stray copy added its
// documents twice. A data dir holding any of the table's files at its listed size is that
// dataset and must hold all of them; one holding none (a copy of tasks/samples, your own subset)
// is read as it is.
void SuiteInstanceBuilder::check_listed(const DataSource& source) {
  const fs::path table_file = source.tasks_dir / "datasets.json";
  std::error_code ec;
  if (!fs::is_regular_file(table_file, ec)) return;
  const DatasetTable table = dataset_table_read(table_file);
  auto it = table.datasets.find(st->model.dataset.dir);
  if (it == table.datasets.end()) return;
  const DatasetPresence p = dataset_presence(it->second, source.data_dir);
  if (p.unreadable) {
    throw input_error((base / p.first_unreadable).string(), "cannot read: " + p.unreadable_why);
  }
  // A dataset data fetch put in place is checked against what it wrote, whatever else the data
  // dir holds: a one-file dataset fetched alone and cut is not the user's own copy.
  if (const auto changed = dataset_fetched_changes(base, false); !changed.empty()) {
    throw InputError(it->first + ": " + changed.front() + "; fetch it again with: " + fetch);
  }
  // NOTE: a one-file dataset cut at a line end (math500, mbpp) held none of its files at their
  // sizes, so it was read as the user's own copy. In a data dir holding another dataset as
  // fetched, its one file of another size is cut or changed; in one holding none, it is yours.
  const bool cut = p.files == 1 && p.wrong_size == 1 && holds_fetched(table, it->first, source);
  // NOTE: an own copy (a subset, a conversion) was read unchecked and then filed as the dataset:
  // run.json said nothing, and the reports ranked 100 questions of it against the real 500.
  if (p.present == 0 && !cut) {
    st->data.kind = "own copy";
    st->data.why = "none of the " + std::to_string(p.files) +
                   (p.files == 1 ? " file " : " files ") + spec_display_path(table_file) +
                   " lists for dataset '" + it->first +
                   "' there at its listed size (first: " + p.first_problem() + ")";
    return;
  }
  if (!p.complete()) {
    throw InputError(
        it->first + ": " + base.string() + " is incomplete: " + p.first_missing + " " +
        p.first_missing_why + "; fetch it with: " + fetch +
        (cut ? " (a copy of your own goes in a data dir holding no fetched dataset)" : ""));
  }
  for (const DataDownload& dl : it->second.downloads) {
    for (const DataFile& f : dl.files) listed.insert(f.path);
  }
  table_name = spec_display_path(table_file);
  st->data.kind = "listed";
}

std::vector<Doc> SuiteInstanceBuilder::load_split(const std::string& split) {
  const DatasetSpec& d = st->model.dataset;
  const SplitSpec& sp = d.splits.at(split);
  Template id_t = Template::compile(d.id, st->display + ": field 'dataset.id'", NullValue::kError);
  Template subj_t =
      Template::compile(d.subject, st->display + ": field 'dataset.subject'", NullValue::kError);
  std::vector<Doc> docs;
  std::unordered_set<std::string> seen;
  for (const std::string& pattern : sp.files) {
    for (const fs::path& path : loader_glob(base, pattern, hint)) {
      std::string rel = path.lexically_relative(base).generic_string();
      if (!listed.empty() && !listed.count(rel)) {
        throw input_error(path.string(), "not a file of dataset '" + st->model.dataset.dir +
                                             "' in " + table_name +
                                             " (a stray copy?); remove it, or fetch a clean "
                                             "copy with: " +
                                             fetch);
      }
      std::vector<Record> records = loader_load(path, d.format, d.csv_header, d.csv_columns, hint);
      // NOTE: a data file without a record is a failed fetch or a cut copy, never a split: a
      // run of it scored "0 documents" and ranked 0.0. (--limit, --shard or a subject selection
      // picking none of a file's records is not this: they apply after loading.)
      if (records.empty()) throw input_error(path.string(), "no documents");
      bool gaokao = d.format == "gaokao_json";
      for (size_t fi = 0; fi < records.size(); ++fi) {
        Record& rec = records[fi];
        std::string source =
            path.string() + ":" +
            (gaokao ? "example[" + std::to_string(rec.line - 1) + "]" : std::to_string(rec.line));
        if (!in_range(sp, rec, source)) continue;
        json meta = {{"_split", split},       {"_file", rel},      {"_stem", path.stem().string()},
                     {"_index", docs.size()}, {"_file_index", fi}, {"_line", rec.line}};
        Doc doc;
        doc.fields = std::move(rec.fields);
        doc.source = std::move(source);
        TemplateScope scope{&doc.fields, nullptr, &meta, doc.source};
        doc.id = id_t.render(scope);
        doc.subject = subj_t.empty() ? "" : subj_t.render(scope);
        if (!seen.insert(doc.id).second) {
          throw input_error(doc.source,
                            "duplicate doc id '" + doc.id + "' (spec field 'dataset.id')");
        }
        docs.push_back(std::move(doc));
      }
    }
  }
  return docs;
}

// NOTE: targets and golds were rendered only when scoring, after every answer had come back (and
// been paid for), so a bad one failed the run at the end; a data fault is found at open now.
void SuiteInstanceBuilder::check_docs() const {
  for (const Doc& d : inst.docs_) {
    inst.target(d);
    if (st->model.gold.present) inst.gold_choices(d);
  }
}

void SuiteInstanceBuilder::load_fewshot() {
  const PromptSpec& p = st->model.prompt;
  if (p.fewshot_docs.is_array()) {
    for (size_t i = 0; i < p.fewshot_docs.size(); ++i) {
      std::string idx = std::to_string(i);
      inst.fewshot_.push_back(Doc{"fewshot/" + idx, "", p.fewshot_docs[i],
                                  st->display + ": prompt.fewshot_docs[" + idx + "]"});
    }
  } else if (!st->model.dataset.fewshot_split.empty() && p.num_fewshot > 0) {
    inst.fewshot_ = load_split(st->model.dataset.fewshot_split);
  }
  st->shots.resize(inst.fewshot_.size());
  st->per_doc_shots = p.fewshot_sampler == "random" && p.num_fewshot > 0;
}

void SuiteInstanceBuilder::add_subject(const std::string& subject) {
  if (st->reserved.count(subject)) return;
  json vars = json::object();
  auto it = st->model.subject_vars.find(subject);
  if (it != st->model.subject_vars.end()) vars = *it;
  st->reserved[subject] = json{{"_subject", subject}, {"_subject_vars", vars}};
}

void SuiteInstanceBuilder::weigh_docs(const std::vector<std::string>& factors) {
  std::vector<Template> ts;
  for (size_t i = 0; i < factors.size(); ++i) {
    ts.push_back(Template::compile(
        factors[i], st->display + ": field 'doc_weight[" + std::to_string(i) + "]'"));
  }
  for (Doc& doc : inst.docs_) {
    doc.weight = 1;
    for (size_t i = 0; i < ts.size(); ++i) {
      const json v = ts[i].render_value(scope(*st, doc, nullptr));
      const double x = v.is_number() ? v.get<double>() : 0;
      // NOTE: a document of weight 0 would vanish from the mean; all of weight 0 divide by 0.
      if (!v.is_number() || !std::isfinite(x) || x <= 0) {
        throw input_error(doc.source, "spec field 'doc_weight[" + std::to_string(i) + "]' (" +
                                          factors[i] + ") gives " + v.dump() +
                                          ": expected a number > 0");
      }
      doc.weight *= x;
    }
  }
}

SuiteInstance SuiteInstance::open(const SuiteSpec& spec, const DataSource& source) {
  SuiteInstanceBuilder b;
  b.st = std::make_shared<State>();
  b.st->display = spec.file.empty() ? spec.name : spec_display_path(spec.file);
  SuiteSpec parsed;
  spec_parse(spec.raw, b.st->display, &parsed, &b.st->model);
  b.inst.spec_ = spec;
  b.inst.state_ = b.st;
  b.compile_templates();
  b.resolve_base(source);
  b.inst.docs_ = b.load_split(b.st->model.dataset.eval_split);
  b.check_docs();
  b.load_fewshot();
  for (const Doc& f : b.inst.fewshot_) b.add_subject(f.subject);
  for (const Doc& d : b.inst.docs_) b.add_subject(d.subject);
  b.weigh_docs(parsed.doc_weight);
  for (const Doc& d : b.inst.docs_) {
    if (!b.st->prefix.count(d.subject)) b.build_prefix(d.subject, !source.samples);
  }
  if (b.st->per_doc_shots) b.draw_random(!source.samples);
  return std::move(b.inst);
}

const SuiteData& suite_data(const SuiteInstance& suite) {
  return SuiteInstanceBuilder::state(suite).data;
}

}  // namespace moebench
