// Few-shot selection at SuiteInstance::open: "first_n" (one block per subject) and "random"
// (lm-eval's default ContextSampler: one seeded random.Random per subject, one draw per eval doc
// in file order), plus rendering each used few-shot doc once.
#include <algorithm>

#include "common/error.h"
#include "tasks/src/py_random.h"
#include "tasks/src/suite_state.h"

namespace moebench {

void SuiteInstance::State::append_shots(const std::vector<size_t>& picks, std::string* text,
                                        std::vector<ChatMessage>* chat_turns) const {
  const PromptSpec& p = model.prompt;
  for (size_t i : picks) {
    const RenderedShot& r = shots.at(i);
    *text += r.text;
    *text += p.target_delimiter;
    *text += r.answer;
    *text += p.fewshot_delimiter;
    if (p.chat.fewshot == "turns") {
      chat_turns->push_back(ChatMessage{"user", r.user});
      chat_turns->push_back(ChatMessage{"assistant", r.assistant});
    }
  }
}

// Indexes into the pool of the docs a subject may draw from, in file order.
std::vector<size_t> SuiteInstanceBuilder::subject_pool(const std::string& subject) const {
  std::vector<size_t> out;
  bool by_subject = st->model.prompt.fewshot_by_subject;
  for (size_t i = 0; i < inst.fewshot_.size(); ++i) {
    if (!by_subject || inst.fewshot_[i].subject == subject) out.push_back(i);
  }
  return out;
}

void SuiteInstanceBuilder::check_pool_size(const std::string& subject, size_t have,
                                           size_t need) const {
  if (have >= need) return;
  const std::string has = (subject.empty() ? "" : "subject '" + subject + "' ") + "has " +
                          std::to_string(have) + " few-shot docs";
  // NOTE: a pool read from the data falls short in the data (an own copy lacking a subject's
  // few-shot file), which the spec's field did not name.
  const DatasetSpec& d = st->model.dataset;
  if (!st->model.prompt.fewshot_docs.is_array() && d.splits.count(d.fewshot_split)) {
    std::string files;
    for (const std::string& f : d.splits.at(d.fewshot_split).files) {
      files += (files.empty() ? "" : ", ") + f;
    }
    throw input_error(base.string(), has + " in split '" + d.fewshot_split + "' (" + files +
                                         "), need " + std::to_string(need));
  }
  throw input_error(st->display,
                    "field 'prompt.num_fewshot': " + has + ", need " + std::to_string(need));
}

// lm-eval (lm_eval/api/samplers.py ContextSampler.get_context): draws rnd.sample(docs, n) with
// n = num_fewshot, or num_fewshot + 1 when fewshot_split == test_split, then keeps the first
// num_fewshot that are not equal to the eval doc. Each subject is its own lm-eval task, so it has
// its own Random(seed) (set_fewshot_seed), advanced doc after doc in eval order.
void SuiteInstanceBuilder::draw_random(bool strict) {
  const PromptSpec& p = st->model.prompt;
  const DatasetSpec& d = st->model.dataset;
  const size_t keep = static_cast<size_t>(p.num_fewshot);
  const size_t want = keep + (d.fewshot_split == d.eval_split ? 1 : 0);
  std::map<std::string, PyRandom> rngs;
  std::map<std::string, std::vector<size_t>> pools;
  for (const Doc& doc : inst.docs_) {
    auto [pool_it, fresh] = pools.try_emplace(doc.subject);
    if (fresh) pool_it->second = subject_pool(doc.subject);
    const std::vector<size_t>& pool = pool_it->second;
    if (strict) check_pool_size(doc.subject, pool.size(), want);
    PyRandom& rng = rngs.try_emplace(doc.subject, p.fewshot_seed).first->second;
    std::vector<size_t> picks;
    for (size_t j : rng.sample(pool.size(), std::min(want, pool.size()))) {
      const Doc& f = inst.fewshot_[pool[j]];
      if (picks.size() < keep && f.fields != doc.fields) picks.push_back(pool[j]);
    }
    for (size_t i : picks) render_shot(i);
    st->doc_shots[doc.id] = std::move(picks);
  }
}

std::string SuiteInstanceBuilder::fewshot_answer(const Doc& f) const {
  if (!st->fewshot_target.empty()) return st->fewshot_target.render(scope(*st, f, nullptr));
  if (inst.spec_.output == OutputKind::kChoice) {
    std::vector<int> gold = inst.gold_choices(f);
    std::vector<std::string> choices = st->choices.render(scope(*st, f, nullptr));
    if (gold.empty() || gold[0] >= static_cast<int>(choices.size())) {
      throw input_error(f.source, "few-shot doc has no gold choice");
    }
    return choices[gold[0]];
  }
  return inst.target(f);
}

void SuiteInstanceBuilder::render_shot(size_t index) {
  RenderedShot& r = st->shots.at(index);
  if (r.done) return;
  const Doc& f = inst.fewshot_[index];
  TemplateScope sc = scope(*st, f, nullptr);
  r.text = st->doc_to_text.render(sc);
  r.answer = fewshot_answer(f);
  if (st->model.prompt.chat.fewshot == "turns") {
    r.user = st->chat_user.empty() ? r.text : st->chat_user.render(sc);
    r.assistant = st->chat_assistant.empty() ? r.answer : st->chat_assistant.render(sc);
  }
  r.done = true;
}

// The subject's description and, for "first_n", its few-shot block (the first n of its pool).
void SuiteInstanceBuilder::build_prefix(const std::string& subject, bool strict) {
  TemplateScope ds{nullptr, nullptr, &st->reserved.at(subject), st->display};
  std::string desc = st->description.render(ds);
  std::string prefix = desc;
  std::vector<ChatMessage> turns;
  if (!st->per_doc_shots) {
    std::vector<size_t> picks = subject_pool(subject);
    size_t n = static_cast<size_t>(st->model.prompt.num_fewshot);
    if (strict) check_pool_size(subject, picks.size(), n);
    picks.resize(std::min(n, picks.size()));
    for (size_t i : picks) render_shot(i);
    st->append_shots(picks, &prefix, &turns);
  }
  st->description_text[subject] = std::move(desc);
  st->prefix[subject] = std::move(prefix);
  st->turns[subject] = std::move(turns);
}

}  // namespace moebench
