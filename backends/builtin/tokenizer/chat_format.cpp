// Chat formats: renders message lists exactly as the DeepSeek-V2, V3, V3.1 and R1, Qwen3 and Qwen2
// (ChatML) and Mixtral-Instruct Jinja templates do (detection is in chat_format_detect.cpp).
#include "backends/builtin/tokenizer/chat_format.h"

#include "common/error.h"

namespace moebench {
namespace {

struct Family {
  ChatFormatKind kind;
  const char* name;
  const char* family;
  const char* bos;
  const char* eos;
};

constexpr const char* kDeepSeekBos = "<｜begin▁of▁sentence｜>";
constexpr const char* kDeepSeekEos = "<｜end▁of▁sentence｜>";
// Qwen2's own default system prompt (Qwen1.5's templates have it without the full stop).
constexpr const char* kQwen2System = "You are a helpful assistant.";

constexpr Family kFamilies[] = {
    {ChatFormatKind::deepseek_v3, "deepseek_v3", "DeepSeek", kDeepSeekBos, kDeepSeekEos},
    {ChatFormatKind::deepseek_r1, "deepseek_r1", "DeepSeek", kDeepSeekBos, kDeepSeekEos},
    {ChatFormatKind::deepseek_v3_1, "deepseek_v3_1", "DeepSeek", kDeepSeekBos, kDeepSeekEos},
    {ChatFormatKind::deepseek_v2, "deepseek_v2", "DeepSeek", kDeepSeekBos, kDeepSeekEos},
    {ChatFormatKind::chatml, "chatml", "ChatML", "", "<|im_end|>"},
    {ChatFormatKind::qwen2, "qwen2", "ChatML", "", "<|im_end|>"},
    {ChatFormatKind::mistral, "mistral", "Mistral", "<s>", "</s>"},
    {ChatFormatKind::mistral_legacy, "mistral_legacy", "Mistral", "<s>", "</s>"},
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

// DeepSeek's templates: every system message joined by blank lines right after the BOS.
std::string deepseek_system(const std::vector<ChatMessage>& messages, const std::string& bos) {
  std::string out = bos;
  bool first = true;
  for (const ChatMessage& m : messages) {
    if (m.role != "system") continue;
    out += (first ? "" : "\n\n") + m.content;
    first = false;
  }
  return out;
}

// DeepSeek-V3: the system prompt, then <｜User｜>/<｜Assistant｜> turns (tool turns of the
// template are not modelled). R1: an assistant turn keeps what follows its last "</think>", and
// the generation prompt opens the thinking.
std::string render_deepseek(const std::vector<ChatMessage>& messages, const std::string& bos,
                            bool add_generation_prompt, bool r1) {
  std::string out = deepseek_system(messages, bos);
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

// DeepSeek-V3.1 with `thinking` false (its default; a "prefix" message field is not modelled):
// only the assistant turn right after a user turn is opened ("<｜Assistant｜></think>"), it keeps
// what follows its first "</think>", and the generation prompt comes only after a user turn.
std::string render_deepseek_v3_1(const std::vector<ChatMessage>& messages, const std::string& bos,
                                 bool add_generation_prompt) {
  std::string out = deepseek_system(messages, bos);
  bool last_user = false;  // the template's ns.is_last_user: system turns leave it as it is
  for (const ChatMessage& m : messages) {
    if (m.role == "user") {
      out += "<｜User｜>" + m.content;
      last_user = true;
    } else if (m.role == "assistant") {
      if (last_user) out += "<｜Assistant｜></think>";
      last_user = false;
      const size_t close = m.content.find("</think>");
      out += (close == std::string::npos ? m.content : m.content.substr(close + 8)) +
             "<｜end▁of▁sentence｜>";
    }
  }
  if (add_generation_prompt && last_user) out += "<｜Assistant｜></think>";
  return out;
}

// DeepSeek-V2-Chat: every message where it stands, a system one as its bare text; an assistant
// turn is kept whole and closed with the EOS.
std::string render_deepseek_v2(const std::vector<ChatMessage>& messages, const std::string& bos,
                               const std::string& eos, bool add_generation_prompt) {
  std::string out = bos;
  for (const ChatMessage& m : messages) {
    if (m.role == "user") out += "User: " + m.content + "\n\n";
    if (m.role == "assistant") out += "Assistant: " + m.content + eos;
    if (m.role == "system") out += m.content + "\n\n";
  }
  if (add_generation_prompt) out += "Assistant:";
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

// Qwen2's template: a default system turn first unless the first message is a system one, then
// every message as <|im_start|>role\ncontent<|im_end|>\n.
std::string render_qwen2(const std::vector<ChatMessage>& messages, const std::string& system,
                         bool add_generation_prompt) {
  std::string out;
  if (!messages.empty() && messages[0].role != "system") {
    out += "<|im_start|>system\n" + system + "<|im_end|>\n";
  }
  for (const ChatMessage& m : messages) {
    out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
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

// Mixtral-8x7B-Instruct-v0.1's first template: strictly user/assistant turns from the first
// message on (a system message raises, as roles out of turn or as a role it does not support).
std::string render_mistral_legacy(const std::vector<ChatMessage>& messages, const std::string& bos,
                                  const std::string& eos) {
  std::string out = bos;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if ((m.role == "user") != (i % 2 == 0)) {
      throw InputError(
          "mistral chat template: conversation roles must alternate "
          "user/assistant/user/assistant/...");
    }
    if (m.role == "user") {
      out += "[INST] " + m.content + " [/INST]";
    } else if (m.role == "assistant") {
      out += m.content + eos;
    } else {
      throw InputError("mistral chat template: only user and assistant roles are supported");
    }
  }
  return out;
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
    case ChatFormatKind::deepseek_v3_1:
      return render_deepseek_v3_1(messages, bos, add_generation_prompt);
    case ChatFormatKind::deepseek_v2:
      return render_deepseek_v2(messages, bos, eos, add_generation_prompt);
    case ChatFormatKind::chatml:
      return render_chatml(messages, add_generation_prompt);
    case ChatFormatKind::qwen2:
      return render_qwen2(messages, default_system, add_generation_prompt);
    case ChatFormatKind::mistral:
      return render_mistral(messages, bos, eos);
    case ChatFormatKind::mistral_legacy:
      return render_mistral_legacy(messages, bos, eos);
  }
  return "";
}

const char* ChatFormat::name() const { return family_of(kind).name; }

const char* chat_format_family(ChatFormatKind kind) { return family_of(kind).family; }

ChatFormat chat_format_from_name(const std::string& name, const std::string& where) {
  std::string known;
  for (const Family& f : kFamilies) {
    if (name == f.name) {
      return ChatFormat{f.kind, f.bos, f.eos, f.kind == ChatFormatKind::qwen2 ? kQwen2System : ""};
    }
    known += std::string(known.empty() ? "" : ", ") + f.name;
  }
  throw input_error(where, "unknown chat format '" + name + "' (known: " + known + ")");
}

}  // namespace moebench
