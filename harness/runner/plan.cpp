// plan_suites: specs and data to requests, with every input check done up front.
#include "harness/runner/plan.h"

#include "common/error.h"
#include "common/hash.h"

namespace moebench {
namespace {

std::vector<SuiteSpec> select_specs(const RunOptions& options) {
  if (options.suites.empty()) return suite_list_specs(options.source.tasks_dir);
  std::vector<SuiteSpec> specs;
  for (const std::string& name : options.suites) {
    specs.push_back(suite_find_spec(options.source.tasks_dir, name));
  }
  return specs;
}

// Per-document seed: independent of order, shard and limit, so a resumed or sharded run asks
// exactly the same requests.
uint64_t doc_seed(uint64_t seed, const std::string& suite, const std::string& doc_id) {
  std::string h = sha256_hex(std::to_string(seed) + '\x1f' + suite + '\x1f' + doc_id);
  return std::stoull(h.substr(0, 15), nullptr, 16);
}

}  // namespace

Request plan_request(const SuiteRun& run, const Doc& doc, bool chat, uint64_t seed) {
  const SuiteSpec& spec = run.instance->spec();
  Prompt p = run.instance->prompt(doc);
  Request r;
  r.suite = spec.name;
  r.doc_id = doc.id;
  r.generation = spec.generation;
  r.seed = doc_seed(seed, spec.name, doc.id);
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
  for (const SuiteSpec& spec : select_specs(options)) {
    SuiteRun run;
    run.instance = std::make_unique<SuiteInstance>(SuiteInstance::open(spec, options.source));
    run.loglikelihood = spec.output == OutputKind::kChoice && backend.loglikelihood;
    run.scorer = std::make_unique<Scorer>(Scorer::build(*run.instance, run.loglikelihood));
    const auto& docs = run.instance->docs();
    const std::set<std::string>* only = nullptr;
    if (!options.only_docs.empty()) {
      auto it = options.only_docs.find(spec.name);
      if (it == options.only_docs.end()) it = options.only_docs.find("");
      static const std::set<std::string> kNone;
      only = it == options.only_docs.end() ? &kNone : &it->second;
    }
    for (size_t i = 0; i < docs.size(); ++i) {
      if (only && !only->count(docs[i].id)) continue;
      if (static_cast<int>(i % options.shard_count) != options.shard_index) continue;
      if (options.limit && static_cast<long>(run.docs.size()) >= *options.limit) break;
      run.docs.push_back(&docs[i]);
    }
    // NOTE: chat-only backends get chat messages; completion-capable ones the raw prompt, as
    // lm-eval does for base models.
    bool chat = backend.chat && !backend.completion;
    run.requests.reserve(run.docs.size());
    run.hashes.reserve(run.docs.size());
    for (const Doc* d : run.docs) {
      run.requests.push_back(plan_request(run, *d, chat, options.seed));
      run.hashes.push_back(run.requests.back().hash());
    }
    runs.push_back(std::move(run));
  }
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
