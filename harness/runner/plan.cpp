// plan_suites: specs and data to requests, with every input check done up front.
#include "harness/runner/plan.h"

#include <fnmatch.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_set>

#include "common/error.h"
#include "common/hash.h"
#include "tasks/profile.h"

namespace moebench {
namespace {

// rescore: a suite the responses hold no answer of would be scored on no documents (mean 0, n 0),
// an error naming the file; so are responses whose ids match no document of the suites; some
// unmatched ids are a warning naming the first.
void check_only_docs(const std::vector<SuiteRun>& runs,
                     const std::map<std::string, std::set<std::string>>& only,
                     const std::string& file) {
  if (!only.count("")) {
    std::string held;
    for (const auto& [suite, docs] : only) held += (held.empty() ? "" : ", ") + suite;
    for (const SuiteRun& r : runs) {
      if (only.count(r.instance->spec().key())) continue;
      throw input_error(file, "holds no response of suite '" + r.instance->spec().key() +
                                  "' (it holds " + held + "); leave it out of --suites");
    }
  }
  std::map<std::string, std::unordered_set<std::string>> ids_of;
  std::string suites, example;
  for (const SuiteRun& r : runs) {
    auto& ids = ids_of[r.instance->spec().key()];
    for (const Doc& d : r.instance->docs()) ids.insert(d.id);
    suites += (suites.empty() ? "" : ", ") + r.instance->spec().key();
    if (example.empty() && !r.instance->docs().empty()) example = r.instance->docs()[0].id;
  }
  long given = 0, matched = 0;
  std::string first_unmatched;
  for (const auto& [suite, docs] : only) {
    for (const std::string& id : docs) {
      ++given;
      bool found = false;
      for (const auto& [name, ids] : ids_of)
        found |= (suite.empty() || suite == name) && ids.count(id);
      if (found) {
        ++matched;
      } else if (first_unmatched.empty()) {
        first_unmatched = (suite.empty() ? "" : suite + "/") + id;
      }
    }
  }
  if (matched == 0) {
    throw InputError("none of the " + std::to_string(given) +
                     " document ids of the responses names a document of " + suites + " (first: '" +
                     first_unmatched + "'; ids there look like '" + example + "')");
  }
  if (matched < given) {
    std::fprintf(stderr,
                 "moebench: warning: %ld of %ld document ids of the responses name no document of "
                 "%s (first: '%s'); they are not scored\n",
                 given - matched, given, suites.c_str(), first_unmatched.c_str());
  }
}

// --num-fewshot N written into the spec, so the prompts, the request hashes, the spec recorded in
// run.json and everything compared downstream all follow it. A suite without a few-shot pool
// cannot take N > 0.
void override_num_fewshot(SuiteSpec* spec, int n) {
  nlohmann::json& prompt = spec->raw["prompt"];
  const bool has_pool = prompt.contains("fewshot_docs") ||
                        !spec->raw["dataset"].value("fewshot_split", std::string()).empty();
  if (n > 0 && !has_pool) {
    throw InputError("--num-fewshot " + std::to_string(n) + ": suite '" + spec->name +
                     "' has no few-shot pool (no dataset.fewshot_split or prompt.fewshot_docs)");
  }
  prompt["num_fewshot"] = n;
}

double kwarg_number(const std::string& key, const std::string& value, double lo, double hi,
                    bool integer, const char* range) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || !(v >= lo && v <= hi) ||
      (integer && v != static_cast<double>(static_cast<long>(v)))) {
    throw InputError("--gen-kwargs " + key + "=" + value + ": expected " +
                     (integer ? "an integer " : "a number ") + range);
  }
  return v;
}

// --gen-kwargs written into the spec (its generation and the raw copy in run.json), as
// --num-fewshot is, so requests, hashes and reports follow. lm-eval's names are accepted:
// max_gen_toks for max_tokens, do_sample=false for greedy.
void override_generation(SuiteSpec* spec,
                         const std::vector<std::pair<std::string, std::string>>& kw) {
  GenerationSettings& g = spec->generation;
  nlohmann::json& raw = spec->raw["generation"];
  for (const auto& [key, value] : kw) {
    if (key == "temperature") {
      raw["temperature"] = g.temperature = kwarg_number(key, value, 0, 2, false, "in [0, 2]");
    } else if (key == "top_p") {
      raw["top_p"] = g.top_p = kwarg_number(key, value, 1e-9, 1, false, "in (0, 1]");
    } else if (key == "max_tokens" || key == "max_gen_toks") {
      raw["max_tokens"] = g.max_tokens =
          static_cast<int>(kwarg_number(key, value, 1, 1 << 22, true, ">= 1"));
    } else if (key == "thinking_budget") {
      raw["thinking_budget"] = g.thinking_budget =
          static_cast<int>(kwarg_number(key, value, 0, 1 << 22, true, ">= 0"));
    } else if (key == "n" || key == "n_samples") {
      raw["n_samples"] = g.n_samples =
          static_cast<int>(kwarg_number(key, value, 1, 1024, true, "from 1 to 1024"));
    } else if (key == "do_sample") {
      if (value != "true" && value != "false" && value != "True" && value != "False") {
        throw InputError("--gen-kwargs do_sample=" + value + ": expected true or false");
      }
      if (value == "false" || value == "False") raw["temperature"] = g.temperature = 0.0;
    } else {
      throw InputError("--gen-kwargs '" + key + "=" + value +
                       "': unknown key (known: temperature, top_p, max_tokens or max_gen_toks, "
                       "thinking_budget, n or n_samples, do_sample)");
    }
  }
}

// SUITE[:SUBJECTS][@PROFILE] -> {"SUITE[@PROFILE]", "SUBJECTS"} ("" without a selection).
std::pair<std::string, std::string> split_subjects(const std::string& name) {
  const size_t colon = name.find(':');
  if (colon == std::string::npos) return {name, ""};
  const size_t at = name.find('@', colon);
  std::string subjects =
      name.substr(colon + 1, at == std::string::npos ? std::string::npos : at - colon - 1);
  if (subjects.empty()) {
    throw InputError("suite '" + name +
                     "': expected SUITE:SUBJECT (a subject name or glob, e.g. mmlu:anatomy, "
                     "mmlu:high_school_*)");
  }
  return {name.substr(0, colon) + (at == std::string::npos ? "" : name.substr(at)), subjects};
}

std::vector<SuiteSpec> select_specs(const RunOptions& options) {
  std::vector<SuiteSpec> specs;
  if (options.suites.empty()) {
    specs = profile_specs(options.source.task_dirs(), options.profile);
  } else {
    for (const std::string& name : options.suites) {
      auto [suite, subjects] = split_subjects(name);
      specs.push_back(suite_find_profiled(options.source.task_dirs(), suite, options.profile));
      specs.back().subjects = subjects;
      for (size_t i = 0; i + 1 < specs.size(); ++i) {
        if (specs[i].key() == specs.back().key()) {
          throw InputError("suite '" + specs.back().key() + "' is named twice");
        }
      }
    }
  }
  if (options.num_fewshot) {
    for (SuiteSpec& spec : specs) override_num_fewshot(&spec, *options.num_fewshot);
  }
  if (!options.gen_kwargs.empty()) {
    for (SuiteSpec& spec : specs) override_generation(&spec, options.gen_kwargs);
  }
  return specs;
}

// How the suite's prompts go to the backend, as its profile wants them. The default (auto) is
// lm-eval's rule: chat-only backends get chat messages, completion-capable ones the raw prompt and
// choice suites by log-likelihood. A chat profile needs a backend that takes chat messages; a
// completion profile run on a backend without raw completion or log-likelihoods runs, but says so
// (its scores are then not the profile's method, and reports show prompt_form / scored_by).
void choose_form(const SuiteSpec& spec, const BackendInfo& backend, SuiteRun* run) {
  const bool choice = spec.output == OutputKind::kChoice;
  switch (spec.form) {
    case PromptForm::kChat:
      if (!backend.chat && !backend.no_chat_reason.empty()) {
        throw InputError(backend.no_chat_reason + " (suite '" + spec.key() + "': profile '" +
                         spec.profile + "' sends chat messages; use another profile)");
      }
      if (!backend.chat) {
        throw InputError("suite '" + spec.key() + "': profile '" + spec.profile +
                         "' sends chat messages, and backend '" + backend.id +
                         "' takes none (use a chat model, or another profile)");
      }
      run->chat = true;
      run->loglikelihood = false;
      return;
    case PromptForm::kCompletion:
      if (!backend.completion || (choice && !backend.loglikelihood)) {
        std::fprintf(stderr,
                     "moebench: warning: suite '%s': profile '%s' scores raw completions%s; "
                     "backend '%s' has %s, so this suite is %s: not the profile's method\n",
                     spec.key().c_str(), spec.profile.c_str(), choice ? " by log-likelihood" : "",
                     backend.id.c_str(),
                     backend.completion ? "no log-likelihoods" : "no raw completion",
                     choice ? "answered in generated text" : "prompted with chat messages");
      }
      break;
    case PromptForm::kAuto:
      break;
  }
  run->chat = backend.chat && !backend.completion;
  run->loglikelihood = choice && backend.loglikelihood;
}

// The sampling an Anthropic request carries, written into the spec (and so run.json) in place of
// what was asked: a setting not sent samples at the API's default, 1.
void record_sent_sampling(SuiteSpec* spec, double t, double top_p) {
  nlohmann::json& raw = spec->raw["generation"];
  raw["temperature"] = spec->generation.temperature = t;
  raw["top_p"] = spec->generation.top_p = top_p;
}

// Without thinking, an Anthropic request carries temperature, at most 1 (the API's maximum), and
// then no top_p: newer Claude models refuse the two together (backends/api/api_anthropic.cpp).
// Said once per suite when that is not what was asked (code-sampling's top-p 0.95).
void anthropic_sampling(SuiteSpec* spec, const BackendInfo& backend, double t, double top_p) {
  const nlohmann::json omit =
      backend.details.value("api", nlohmann::json::object()).value("omit", nlohmann::json());
  bool sends_t = true;
  if (omit.is_array()) {
    for (const nlohmann::json& o : omit) sends_t &= o != "temperature";
  }
  if (!sends_t) {
    if (t != 1.0) record_sent_sampling(spec, 1.0, top_p);
    return;
  }
  if (t <= 1.0 && top_p == 1.0) return;
  record_sent_sampling(spec, std::min(t, 1.0), 1.0);
  char asked[64] = "";
  if (t > 1.0) std::snprintf(asked, sizeof asked, " (Anthropic's maximum; asked %g)", t);
  char unsent[160] = "";
  if (top_p != 1.0) {
    std::snprintf(unsent, sizeof unsent,
                  " and no top_p (Claude models refuse temperature and top_p together), so it "
                  "samples at top_p 1, not %g",
                  top_p);
  }
  std::fprintf(stderr, "moebench: warning: suite '%s': backend '%s' is sent temperature %g%s%s\n",
               spec->key().c_str(), backend.id.c_str(), std::min(t, 1.0), asked, unsent);
}

// Anthropic's extended thinking (a thinking budget) takes no temperature or top_p: a generating
// suite that asks for other than the defaults samples at the API's instead. Said once per suite,
// with what was asked, and the spec records the defaults, so the run's settings are what ran.
void anthropic_forced_sampling(SuiteSpec* spec, const BackendInfo& backend, const SuiteRun& run) {
  if (backend.family != "anthropic" || run.loglikelihood) return;
  const nlohmann::json gen = backend.details.value("generation", nlohmann::json::object());
  auto setting = [&](const char* key, double fallback) {
    return gen.contains(key) && gen[key].is_number() ? gen[key].get<double>() : fallback;
  };
  const double budget = setting("thinking_budget", spec->generation.thinking_budget);
  const double t = setting("temperature", spec->generation.temperature);
  const double top_p = setting("top_p", spec->generation.top_p);
  if (budget <= 0) {
    anthropic_sampling(spec, backend, t, top_p);
    return;
  }
  if (t == 1.0 && top_p == 1.0) return;
  record_sent_sampling(spec, 1.0, 1.0);
  std::fprintf(stderr,
               "moebench: warning: suite '%s': backend '%s' thinks with a budget of %.0f tokens; "
               "Anthropic's extended thinking takes no temperature or top_p, so temperature %g "
               "and top_p %g are not sent (the API samples at its defaults)\n",
               spec->key().c_str(), backend.id.c_str(), budget, t, top_p);
}

// The generation settings a request carries that a backend or a recorded run may set.
constexpr const char* kSentSettings[] = {"temperature", "top_p", "max_tokens", "thinking_budget"};

// One setting as sent, written into the spec and its raw copy in run.json; a value the spec has
// already changes nothing (no "top_p unset -> 1" between two runs that sent the same).
void record_sent(SuiteSpec* spec, const std::string& key, const nlohmann::json& v) {
  if (!v.is_number()) return;
  GenerationSettings& g = spec->generation;
  nlohmann::json& raw = spec->raw["generation"];
  const double x = v.get<double>();
  if (key == "temperature" && x != g.temperature) raw[key] = g.temperature = x;
  if (key == "top_p" && x != g.top_p) raw[key] = g.top_p = x;
  if (key == "max_tokens" && x != g.max_tokens) raw[key] = g.max_tokens = static_cast<int>(x);
  if (key == "thinking_budget" && x != g.thinking_budget) {
    raw[key] = g.thinking_budget = static_cast<int>(x);
  }
}

// The models file's generation (an API entry's, or --backend-opt's) is sent in place of the
// suite's (backends/api/api_wire.cpp), so it is written into the spec as --gen-kwargs is: the
// requests, their hashes, --dry-run and run.json then say what is sent (reviewer 85, F4). A
// log-likelihood suite samples nothing.
void model_generation(SuiteSpec* spec, const BackendInfo& backend, const SuiteRun& run) {
  if (run.loglikelihood) return;
  const nlohmann::json gen = backend.details.value("generation", nlohmann::json::object());
  if (!gen.is_object()) return;
  for (const char* key : kSentSettings) {
    if (gen.contains(key)) record_sent(spec, key, gen[key]);
  }
}

// rescore: the recorded run's spec.generation, so the rescore records the sampling its answers
// were asked with (a models file's, or what Anthropic was sent) and compares with that run.
void recorded_generation(SuiteSpec* spec, const RunOptions& options, SuiteRun* run) {
  const auto it = options.recorded_generation.find(spec->key());
  if (it == options.recorded_generation.end() || !it->second.is_object()) return;
  for (const char* key : kSentSettings) {
    if (!it->second.contains(key)) continue;
    const nlohmann::json& v = it->second[key];
    if (v.is_null() && (std::string(key) == "temperature" || std::string(key) == "top_p")) {
      run->unsent.push_back(key);  // not sent (omitted_generation)
    }
    record_sent(spec, key, v);
  }
}

// A models-file entry's `api.omit` leaves temperature or top_p out of every request (OpenAI's
// o1/o3): run.json's spec.generation records it null (run_writer), not a value never sent, and
// --dry-run says "not sent". The spec keeps its value (the suite is parsed again from it), so
// request hashes (cache keys) are those of the entry without the omit. Overrides what Anthropic
// would be recorded as sent (its defaults). Returns the settings so left out (warn_omitted).
std::vector<std::string> omitted_generation(const BackendInfo& backend, SuiteRun* run) {
  std::vector<std::string> out;
  if (run->loglikelihood) return out;
  const nlohmann::json omit =
      backend.details.value("api", nlohmann::json::object()).value("omit", nlohmann::json());
  if (!omit.is_array()) return out;
  for (const nlohmann::json& o : omit) {
    if (o == "temperature" || o == "top_p") out.push_back(o.get<std::string>());
  }
  run->unsent.insert(run->unsent.end(), out.begin(), out.end());
  return out;
}

// An explicit --backend-opt (which wins) or --gen-kwargs temperature or top_p that
// omitted_generation leaves out: said once per suite, as what Anthropic's extended thinking cannot
// send is, so a flag typed for nothing does not pass unsaid (reviewer 90, N2).
void warn_omitted(const RunOptions& options, const BackendInfo& backend, const SuiteSpec& spec,
                  const std::vector<std::string>& omitted) {
  std::string asked;
  size_t n = 0;
  for (const std::string& key : omitted) {
    std::string flag;
    if (const auto it = options.backend_options.find(key); it != options.backend_options.end()) {
      flag = "--backend-opt " + key + "=" + it->second;
    } else {
      for (const auto& [k, v] : options.gen_kwargs) {
        if (k == key) flag = "--gen-kwargs " + key + "=" + v;  // the last one given is taken
      }
    }
    if (flag.empty()) continue;
    asked += (asked.empty() ? "" : " and ") + flag;
    ++n;
  }
  if (asked.empty()) return;
  std::fprintf(stderr,
               "moebench: warning: suite '%s': backend '%s' is not sent %s: the models entry "
               "leaves %s out of every request (api.omit), so the server samples at its own "
               "default\n",
               spec.key().c_str(), backend.id.c_str(), asked.c_str(), n == 1 ? "it" : "them");
}

// --num-fewshot N > 0 on a suite asked in a zero-shot chat form (chat.fewshot "none": mmlu,
// ceval, cmmlu, arc_challenge give simple-evals' one-question prompt): no example is sent, so the
// spec run and recorded in run.json says 0 rather than filing a 0-shot score as N-shot. Giving the
// shots as turns instead would invent a prompt that neither simple-evals nor lm-eval uses.
// The spec's own shots (mmlu's 5) are likewise recorded as 0 there, without a word, so the same
// requests are never filed as 0-shot or 5-shot depending on a flag (reviewer 83, F12). True when
// the user's --num-fewshot was not taken, to be said.
bool unshot_chat_form(const RunOptions& options, const SuiteRun& run, SuiteSpec* spec) {
  if (!run.chat || run.loglikelihood) return false;
  const nlohmann::json& prompt = spec->raw["prompt"];
  const nlohmann::json chat = prompt.value("chat", nlohmann::json::object());
  if (!chat.is_object() || chat.value("fewshot", std::string("inline")) != "none") return false;
  const nlohmann::json shots = prompt.value("num_fewshot", nlohmann::json(0));
  if (shots.is_number_integer() && shots.get<int>() == 0) return false;
  override_num_fewshot(spec, 0);
  return options.num_fewshot && *options.num_fewshot > 0;
}

// Said once for the run: which suites' chat form took none of --num-fewshot's examples.
void warn_unshot(const RunOptions& options, const std::vector<std::string>& suites) {
  if (suites.empty()) return;
  std::string names;
  for (size_t i = 0; i < suites.size(); ++i) {
    names += (i == 0 ? "" : i + 1 == suites.size() ? " and " : ", ") + suites[i];
  }
  std::fprintf(stderr,
               "moebench: warning: --num-fewshot %d: the chat form of %s is zero-shot (one "
               "question per message, as simple-evals asks), so %s asked with no examples and "
               "run.json records num_fewshot 0 for %s\n",
               *options.num_fewshot, names.c_str(), suites.size() == 1 ? "it is" : "they are",
               suites.size() == 1 ? "it" : "them");
}

// A subject selection: a name, or a glob of shell wildcards (fnmatch), e.g. high_school_*.
bool subject_selected(const std::string& pattern, const std::string& subject) {
  return ::fnmatch(pattern.c_str(), subject.c_str(), 0) == 0;
}

// "mmlu:anatomy" on a suite without subjects, or a glob matching none: one line listing some.
void check_subjects(const SuiteSpec& spec, const std::vector<Doc>& docs) {
  std::set<std::string> known;
  for (const Doc& d : docs) {
    if (!d.subject.empty()) known.insert(d.subject);
  }
  if (known.empty()) {
    throw InputError("suite '" + spec.key() + "': " + spec.name + " has no subjects to select");
  }
  for (const std::string& s : known) {
    if (subject_selected(spec.subjects, s)) return;
  }
  std::string list;
  size_t shown = 0;
  for (const std::string& s : known) {
    if (shown++ == 12) {
      list += ", ... (" + std::to_string(known.size()) + " in all)";
      break;
    }
    list += (list.empty() ? "" : ", ") + s;
  }
  throw InputError("suite '" + spec.key() + "': no subject of " + spec.name + " matches '" +
                   spec.subjects + "' (subjects: " + list + ")");
}

// Per-document seed: independent of order, shard and limit, so a resumed or sharded run asks
// exactly the same requests.
uint64_t doc_seed(uint64_t seed, const std::string& suite, const std::string& doc_id) {
  std::string h = sha256_hex(std::to_string(seed) + '\x1f' + suite + '\x1f' + doc_id);
  return std::stoull(h.substr(0, 15), nullptr, 16);
}

}  // namespace

Request plan_request(const SuiteRun& run, const Doc& doc, bool chat, uint64_t seed, int repeat) {
  const SuiteSpec& spec = run.instance->spec();
  Prompt p = run.instance->prompt(doc);
  Request r;
  r.suite = spec.key();
  r.doc_id = doc.id;
  if (spec.profile != kDefaultProfile) r.profile = spec.profile;
  r.generation = spec.generation;
  r.generation.completion_stop.clear();
  if (!chat && !run.loglikelihood) {
    const std::vector<std::string>& more = spec.generation.completion_stop;
    r.generation.stop.insert(r.generation.stop.end(), more.begin(), more.end());
  }
  r.repeat = repeat;
  r.seed =
      doc_seed(seed, spec.name, repeat == 0 ? doc.id : doc.id + "#repeat" + std::to_string(repeat));
  if (run.loglikelihood) {
    r.prompt = std::move(p.text);
    r.continuations = std::move(p.continuations);
  } else if (chat) {
    r.messages = std::move(p.messages);
  } else {
    r.prompt = std::move(p.text);
  }
  return r;
}

std::vector<SuiteRun> plan_suites(const RunOptions& options, const BackendInfo& backend) {
  std::vector<SuiteRun> runs;
  std::vector<std::string> unshot;
  for (SuiteSpec spec : select_specs(options)) {
    SuiteRun run;
    choose_form(spec, backend, &run);
    if (unshot_chat_form(options, run, &spec)) unshot.push_back(spec.key());
    model_generation(&spec, backend, run);
    recorded_generation(&spec, options, &run);
    anthropic_forced_sampling(&spec, backend, run);
    warn_omitted(options, backend, spec, omitted_generation(backend, &run));
    run.instance = std::make_unique<SuiteInstance>(SuiteInstance::open(spec, options.source));
    run.scorer = std::make_unique<Scorer>(Scorer::build(*run.instance, run.loglikelihood));
    const auto& docs = run.instance->docs();
    const std::set<std::string>* only = nullptr;
    if (!options.only_docs.empty()) {
      auto it = options.only_docs.find(spec.key());
      if (it == options.only_docs.end()) it = options.only_docs.find("");
      static const std::set<std::string> kNone;
      only = it == options.only_docs.end() ? &kNone : &it->second;
    }
    if (!spec.subjects.empty()) check_subjects(spec, docs);
    // --limit first (lm-eval's: the first N documents of each task, and a suite of subjects is a
    // group of one task per subject, unless they only break one task down), then the shard's
    // every N-th of them.
    long selected = 0;
    std::map<std::string, long> per_subject;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (only && !only->count(docs[i].id)) continue;
      if (!spec.subjects.empty() && !subject_selected(spec.subjects, docs[i].subject)) continue;
      const std::string& task = spec.subjects_are_tasks ? docs[i].subject : spec.name;
      if (options.limit && per_subject[task]++ >= *options.limit) continue;
      if (selected++ % options.shard_count != options.shard_index) continue;
      for (int k = 0; k < options.repeats; ++k) run.docs.push_back(&docs[i]);
    }
    run.repeats = options.repeats;
    run.requests.reserve(run.docs.size());
    run.hashes.reserve(run.docs.size());
    for (size_t k = 0; k < run.docs.size(); ++k) {
      const Doc* d = run.docs[k];
      run.requests.push_back(
          plan_request(run, *d, run.chat, options.seed, static_cast<int>(k) % run.repeats));
      run.hashes.push_back(run.requests.back().hash());
    }
    runs.push_back(std::move(run));
  }
  if (!options.only_docs.empty()) check_only_docs(runs, options.only_docs, options.only_docs_file);
  warn_unshot(options, unshot);
  return runs;
}

void run_parse_shard(const std::string& text, int* index, int* count) {
  auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t used = 0;
    *index = std::stoi(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("index");
    std::string n = text.substr(slash + 1);
    *count = std::stoi(n, &used);
    if (used != n.size()) throw std::invalid_argument("count");
  } catch (const std::exception&) {
    throw InputError("--shard '" + text + "': expected i/N, e.g. 0/4");
  }
  if (*count < 1 || *index < 0 || *index >= *count) {
    throw InputError("--shard '" + text + "': need 0 <= i < N");
  }
}

}  // namespace moebench
