// What SuiteInstance renders per document: the prompt (completion text with its prebuilt
// few-shot prefix, chat messages, choice continuations), target, gold choices, oracle answer.
#include <algorithm>

#include "common/error.h"
#include "tasks/src/suite_state.h"

namespace moebench {

using nlohmann::json;

namespace {

const std::string& lookup(const std::map<std::string, std::string>& m, const std::string& key) {
  static const std::string kEmpty;
  auto it = m.find(key);
  return it == m.end() ? kEmpty : it->second;
}

}  // namespace

Prompt SuiteInstance::prompt(const Doc& doc) const {
  const State& st = *state_;
  const ChatSpec& chat = st.model.prompt.chat;
  TemplateScope sc = SuiteInstanceBuilder::scope(st, doc, nullptr);
  // The subject's prefix (description, and the "first_n" block) plus this doc's own draw.
  const std::string* prefix_ptr = &lookup(st.prefix, doc.subject);
  std::string own_prefix;
  std::vector<ChatMessage> shot_turns;
  if (st.per_doc_shots) {
    auto it = st.doc_shots.find(doc.id);
    if (it == st.doc_shots.end()) {
      throw input_error(doc.source, "doc '" + doc.id + "' is not one of this suite's docs");
    }
    own_prefix = *prefix_ptr;
    st.append_shots(it->second, &own_prefix, &shot_turns);
    prefix_ptr = &own_prefix;
  }
  const std::string& prefix = *prefix_ptr;
  Prompt p;
  p.text.reserve(prefix.size() + 512);
  p.text = prefix;
  st.doc_to_text.render_to(p.text, sc);

  std::string user = st.chat_user.empty() ? st.doc_to_text.render(sc) : st.chat_user.render(sc);
  std::string system = st.chat_system.render(sc);
  if (!system.empty()) p.messages.push_back(ChatMessage{"system", std::move(system)});
  if (chat.fewshot == "inline") {
    p.messages.push_back(ChatMessage{"user", prefix + user});
  } else if (chat.fewshot == "turns") {
    auto it = st.turns.find(doc.subject);
    if (it != st.turns.end())
      p.messages.insert(p.messages.end(), it->second.begin(), it->second.end());
    p.messages.insert(p.messages.end(), shot_turns.begin(), shot_turns.end());
    const std::string& desc = lookup(st.description_text, doc.subject);
    size_t first_user = p.messages.size();
    p.messages.push_back(ChatMessage{"user", std::move(user)});
    for (size_t i = 0; i < p.messages.size(); ++i) {
      if (p.messages[i].role == "user") {
        first_user = i;
        break;
      }
    }
    p.messages[first_user].content.insert(0, desc);
  } else {
    p.messages.push_back(ChatMessage{"user", std::move(user)});
  }

  if (spec_.output == OutputKind::kChoice) {
    for (std::string& c : st.choices.render(sc)) {
      p.continuations.push_back(st.model.prompt.target_delimiter + c);
    }
  }
  return p;
}

std::string SuiteInstance::target(const Doc& doc) const {
  return state_->doc_to_target.render(SuiteInstanceBuilder::scope(*state_, doc, nullptr));
}

std::vector<int> SuiteInstance::gold_choices(const Doc& doc) const {
  const State& st = *state_;
  if (!st.model.gold.present) return {};
  TemplateScope sc = SuiteInstanceBuilder::scope(st, doc, nullptr);
  json value = st.gold_answer.render_value(sc);
  std::vector<std::string> labels = st.labels.render(sc);
  auto fail = [&](const std::string& what) -> int {
    throw input_error(st.gold_answer.where(), what + " (doc " + doc.source + ")");
  };
  auto to_index = [&](const json& v) -> int {
    std::string s;
    template_append_value(s, v);
    if (!st.labels.present) {
      if (v.is_number_integer()) return v.get<int>();
      bool digits = !s.empty() &&
                    std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
      return digits ? std::stoi(s) : fail("gold '" + s + "' is not an index (no gold.labels)");
    }
    auto it = std::find(labels.begin(), labels.end(), s);
    if (it == labels.end()) fail("gold '" + s + "' is not one of the choice labels");
    return static_cast<int>(it - labels.begin());
  };
  std::vector<int> out;
  if (value.is_array()) {
    for (const json& v : value) out.push_back(to_index(v));
  } else {
    out.push_back(to_index(value));
  }
  return out;
}

std::string SuiteInstance::oracle_response(const Doc& doc) const {
  return state_->oracle.render(SuiteInstanceBuilder::scope(*state_, doc, nullptr));
}

std::string SuiteInstance::render(const std::string& tmpl, const Doc& doc,
                                  const nlohmann::json& extra) const {
  Template t = Template::compile(tmpl, state_->display + ": template");
  return t.render(SuiteInstanceBuilder::scope(*state_, doc, &extra));
}

}  // namespace moebench
