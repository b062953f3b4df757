// Chat formats: renders message lists exactly as the DeepSeek-V3, Qwen3 (ChatML) and
// Mixtral-Instruct Jinja templates do, and recognizes a tokenizer_config.json's template.
#include "backends/builtin/tokenizer/chat_format.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_file.h"

namespace moebench {
namespace {

struct Family {
  ChatFormatKind kind;
  const char* name;
  const char* bos;
  const char* eos;
};

constexpr Family kFamilies[] = {
    {ChatFormatKind::deepseek_v3, "deepseek_v3", "<｜begin▁of▁sentence｜>",
     "<｜end▁of▁sentence｜>"},
    {ChatFormatKind::deepseek_r1, "deepseek_r1", "<｜begin▁of▁sentence｜>",
     "<｜end▁of▁sentence｜>"},
    {ChatFormatKind::chatml, "chatml", "", "<|im_end|>"},
    {ChatFormatKind::mistral, "mistral", "<s>", "</s>"},
};

const Family& family_of(ChatFormatKind kind) {
  for (const Family& f : kFamilies) {
    if (f.kind == kind) return f;
  }
  return kFamilies[0];
}

void check_roles(const std::vector<ChatMessage>& messages) {
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& r = messages[i].role;
    if (r != "system" && r != "user" && r != "assistant") {
      throw InputError("chat message " + std::to_string(i) + ": unknown role '" + r +
                       "' (expected system, user or assistant)");
    }
  }
}

// DeepSeek-V3: every system message joined by blank lines right after the BOS, then
// <｜User｜>/<｜Assistant｜> turns (tool turns of the template are not modelled). R1: an assistant
// turn keeps what follows its last "</think>", and the generation prompt opens the thinking.
std::string render_deepseek(const std::vector<ChatMessage>& messages, const std::string& bos,
                            bool add_generation_prompt, bool r1) {
  std::string system;
  bool first_system = true;
  for (const ChatMessage& m : messages) {
    if (m.role != "system") continue;
    system += (first_system ? "" : "\n\n") + m.content;
    first_system = false;
  }
  std::string out = bos + system;
  for (const ChatMessage& m : messages) {
    if (m.role == "user") out += "<｜User｜>" + m.content;
    if (m.role != "assistant") continue;
    const size_t close = r1 ? m.content.rfind("</think>") : std::string::npos;
    out += "<｜Assistant｜>" +
           (close == std::string::npos ? m.content : m.content.substr(close + 8)) +
           "<｜end▁of▁sentence｜>";
  }
  if (add_generation_prompt) out += r1 ? "<｜Assistant｜><think>\n" : "<｜Assistant｜>";
  return out;
}

std::string strip_newlines(std::string s, bool left, bool right) {
  size_t b = 0;
  size_t e = s.size();
  while (left && b < e && s[b] == '\n') ++b;
  while (right && e > b && s[e - 1] == '\n') --e;
  return s.substr(b, e - b);
}

// One assistant turn of Qwen3's template: reasoning split off at </think>, and a <think> block
// for turns after the last user query that are last or carry reasoning.
std::string render_qwen3_assistant(const ChatMessage& m, bool after_last_query, bool is_last) {
  std::string content = m.content;
  std::string reasoning;
  size_t close = content.find("</think>");
  if (close != std::string::npos) {
    std::string before = strip_newlines(content.substr(0, close), false, true);
    size_t open = before.rfind("<think>");
    reasoning =
        strip_newlines(open == std::string::npos ? before : before.substr(open + 7), true, false);
    content = strip_newlines(content.substr(content.rfind("</think>") + 8), true, false);
  }
  std::string out = "<|im_start|>assistant\n";
  if (after_last_query && (is_last || !reasoning.empty())) {
    out += "<think>\n" + strip_newlines(reasoning, true, true) + "\n</think>\n\n" +
           strip_newlines(content, true, false);
  } else {
    out += content;
  }
  return out + "<|im_end|>\n";
}

// Qwen3's ChatML template without tools; enable_thinking is left undefined (thinking on).
std::string render_chatml(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::string out;
  const size_t n = messages.size();
  if (n > 0 && messages[0].role == "system") {
    out += "<|im_start|>system\n" + messages[0].content + "<|im_end|>\n";
  }
  size_t last_query = n == 0 ? 0 : n - 1;
  for (size_t i = n; i-- > 0;) {
    const std::string& c = messages[i].content;
    bool tool_response = c.starts_with("<tool_response>") && c.ends_with("</tool_response>");
    if (messages[i].role == "user" && !tool_response) {
      last_query = i;
      break;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const ChatMessage& m = messages[i];
    if (m.role == "user" || (m.role == "system" && i != 0)) {
      out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
    } else if (m.role == "assistant") {
      out += render_qwen3_assistant(m, i > last_query, i + 1 == n);
    }
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

// Mixtral-8x7B-Instruct-v0.1: an optional leading system message joins the first user turn;
// the rest must alternate user/assistant (the template raises otherwise). It has no generation
// prompt: the text ends with " [/INST]" already.
std::string render_mistral(const std::vector<ChatMessage>& messages, const std::string& bos,
                           const std::string& eos) {
  size_t first = 0;
  const std::string* system = nullptr;
  if (!messages.empty() && messages[0].role == "system") {
    system = &messages[0].content;
    first = 1;
  }
  std::string out = bos;
  for (size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    size_t index0 = i - first;
    if ((m.role == "user") != (index0 % 2 == 0)) {
      throw InputError(
          "mistral chat template: after the optional system message, conversation roles must "
          "alternate user/assistant/user/assistant/...");
    }
    if (m.role == "user") {
      out += " [INST] " + (index0 == 0 && system ? *system + "\n\n" : std::string()) + m.content +
             " [/INST]";
    } else if (m.role == "assistant") {
      out += " " + m.content + eos;
    } else {
      throw InputError(
          "mistral chat template: only user and assistant roles are supported, with the exception "
          "of an initial optional system message");
    }
  }
  return out;
}

std::string token_text(const nlohmann::json& config, const char* key, const char* fallback) {
  if (!config.contains(key)) return fallback;
  const nlohmann::json& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    return v["content"].get<std::string>();
  }
  return fallback;
}

// The template's first 40 characters on one line, for messages.
std::string template_quote(const std::string& t) {
  std::string out;
  size_t i = 0;
  for (int chars = 0; i < t.size() && chars < 40; ++chars) {
    auto c = static_cast<unsigned char>(t[i]);
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    std::string ch = t.substr(i, len);
    out += ch == "\n" ? std::string("\\n") : ch;
    i += len;
  }
  return i < t.size() ? out + "..." : out;
}

}  // namespace

std::string ChatFormat::render(const std::vector<ChatMessage>& messages,
                               bool add_generation_prompt) const {
  check_roles(messages);
  switch (kind) {
    case ChatFormatKind::deepseek_v3:
    case ChatFormatKind::deepseek_r1:
      return render_deepseek(messages, bos, add_generation_prompt,
                             kind == ChatFormatKind::deepseek_r1);
    case ChatFormatKind::chatml:
      return render_chatml(messages, add_generation_prompt);
    case ChatFormatKind::mistral:
      return render_mistral(messages, bos, eos);
  }
  return "";
}

const char* ChatFormat::name() const { return family_of(kind).name; }

ChatFormat chat_format_from_name(const std::string& name, const std::string& where) {
  for (const Family& f : kFamilies) {
    if (name == f.name) return ChatFormat{f.kind, f.bos, f.eos};
  }
  throw input_error(where, "unknown chat format '" + name +
                               "' (known: deepseek_v3, deepseek_r1, chatml, mistral)");
}

ChatFormat chat_format_detect(const std::filesystem::path& tokenizer_config_json) {
  const std::string file = tokenizer_config_json.string();
  const nlohmann::json config =
      json_read_file(tokenizer_config_json, file, "cannot open", "invalid JSON");
  if (!config.is_object()) throw input_error(file, "invalid JSON");
  nlohmann::json t = config.contains("chat_template") ? config["chat_template"] : nullptr;
  if (t.is_array()) {  // [{"name": "default", "template": ...}, ...]
    nlohmann::json chosen;
    for (const auto& e : t) {
      // NOTE: no json::value() here: a name or template of another type would throw type_error.
      if (!e.is_object() || !e.contains("name") || e["name"] != "default") continue;
      if (!e.contains("template") || !e["template"].is_string()) {
        throw input_error(file,
                          "field 'chat_template': the 'default' entry has no string 'template'");
      }
      chosen = e["template"];
    }
    t = chosen;
  }
  if (!t.is_string()) throw input_error(file, "field 'chat_template': missing (no chat template)");
  const std::string tpl = t.get<std::string>();
  ChatFormatKind kind;
  if (tpl.find("<｜User｜>") != std::string::npos &&
      tpl.find("<｜Assistant｜><think>") != std::string::npos) {
    kind = ChatFormatKind::deepseek_r1;  // the generation prompt opens the thinking
  } else if (tpl.find("<｜User｜>") != std::string::npos &&
             tpl.find("<｜Assistant｜>") != std::string::npos) {
    kind = ChatFormatKind::deepseek_v3;
  } else if (tpl.find("<|im_start|>") != std::string::npos) {
    kind = ChatFormatKind::chatml;
  } else if (tpl.find("[INST]") != std::string::npos) {
    kind = ChatFormatKind::mistral;
  } else {
    throw input_error(file,
                      "field 'chat_template': unrecognized template '" + template_quote(tpl) +
                          "' (known: DeepSeek-V3 <｜User｜>, DeepSeek-R1 <｜Assistant｜><think>, "
                          "ChatML <|im_start|>, Mistral [INST])");
  }
  const Family& f = family_of(kind);
  ChatFormat out{kind, f.bos, f.eos};
  if (kind != ChatFormatKind::chatml) out.bos = token_text(config, "bos_token", f.bos);
  return out;
}

}  // namespace moebench
