// chat_format_detect: a tokenizer_config.json's chat_template to the format that renders it,
// the family by its markers and the variant by the statements that decide the rendered text.
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "backends/builtin/tokenizer/chat_format.h"
#include "common/error.h"
#include "common/json_file.h"

namespace moebench {
namespace {

// A variant of a family: the template statements (normalized as normalized() writes them) that
// make the render what ChatFormat::render gives, and any text it must not hold.
// NOTE: matching the statements that produce text, not the whole template, lets through what the
// formats do not model anyway (tool calls, whitespace between tags), and rejects a template that
// differs in anything they do model.
struct Variant {
  ChatFormatKind kind;
  std::vector<const char*> required;
  std::vector<const char*> forbidden;
};

// The system prompt as V3, V3.1 and R1 build it: every system message, joined by blank lines.
constexpr const char* kDeepSeekSystem =
    "{%- if ns.is_first_sp %}{% set ns.system_prompt = ns.system_prompt + message['content'] %}{% "
    "set ns.is_first_sp = false %}{%- else %}{% set ns.system_prompt = ns.system_prompt + '\n\n' "
    "+ message['content'] %}{%- endif %}";
constexpr const char* kDeepSeekStart = "{{bos_token}}{{ns.system_prompt}}";

const std::vector<Variant>& variants() {
  static const std::vector<Variant> all = {
      {ChatFormatKind::deepseek_v3,
       {kDeepSeekSystem, kDeepSeekStart, "{{'<｜User｜>' + message['content']}}",
        "{{'<｜Assistant｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}",
        "{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜>'}}{% endif %}"},
       {"think", "is_last_user"}},
      {ChatFormatKind::deepseek_r1,
       {kDeepSeekSystem, kDeepSeekStart, "{{'<｜User｜>' + message['content']}}",
        "{% set content = message['content'] %}{% if '</think>' in content %}{% set content = "
        "content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + "
        "'<｜end▁of▁sentence｜>'}}",
        "{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\n'}}{% endif "
        "%}"},
       {"thinking", "is_last_user"}},
      {ChatFormatKind::deepseek_v3_1,
       {kDeepSeekSystem, kDeepSeekStart,
        "{% if not thinking is defined %}{% set thinking = false %}{% endif %}",
        "{%- set ns.is_last_user = true -%}{{'<｜User｜>' + message['content']}}",
        "{%- if ns.is_last_user %}{{'<｜Assistant｜>'}}{%- if message['prefix'] is defined and "
        "message['prefix'] and thinking %}{{'<think>'}}  {%- else %}{{'</think>'}}{%- endif %}{%- "
        "endif %}{%- set ns.is_last_user = false -%}",
        "{%- set content = message['content'] -%}{%- if '</think>' in content %}{%- set content = "
        "content.split('</think>', 1)[1] -%}{%- endif %}{{content + '<｜end▁of▁sentence｜>'}}",
        "{%- if add_generation_prompt and ns.is_last_user and not ns.is_tool "
        "%}{{'<｜Assistant｜>'}}{%- if not thinking %}{{'</think>'}}{%- else %}{{'<think>'}}{%- "
        "endif %}{% endif %}"},
       {}},
      {ChatFormatKind::deepseek_v2,
       {"{{bos_token}}{% for message in messages %}",
        "{% if message['role'] == 'user' %}{{'User: ' + message['content'] + '\n\n'}}",
        "{% elif message['role'] == 'assistant' %}{{'Assistant: ' + message['content'] + "
        "eos_token}}",
        "{% elif message['role'] == 'system' %}{{message['content'] + '\n\n'}}",
        "{% if add_generation_prompt %}{{'Assistant:'}}{% endif %}"},
       {}},
      {ChatFormatKind::chatml,
       {"{{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n'}}",
        "{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}",
        "{%- if ns.multi_step_tool and message.role == \"user\" and "
        "not(message.content.startswith('<tool_response>') and "
        "message.content.endswith('</tool_response>')) %}",
        "{%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) %}",
        "{{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n'}}",
        "{%- set content = message.content.split('</think>')[-1].lstrip('\n') %}",
        "{%- set reasoning_content = "
        "message.content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}",
        "{%- if loop.index0 > ns.last_query_index %}",
        "{%- if loop.last or (not loop.last and reasoning_content) %}",
        "{{- '<|im_start|>' + message.role + '\n<think>\n' + reasoning_content.strip('\n') + "
        "'\n</think>\n\n' + content.lstrip('\n')}}",
        "{{- '<|im_start|>' + message.role + '\n' + content}}", "{{- '<|im_end|>\n'}}",
        "{{- '<|im_start|>assistant\n'}}",
        "{%- if enable_thinking is defined and enable_thinking is false %}"},
       {"<|im_start|>system\nYou are"}},
      {ChatFormatKind::mistral,
       {"{%- set system_message = messages[0]['content'] %}",
        "{%- set loop_messages = messages[1:] %}", "{{- bos_token}}",
        "{%- if loop.first and system_message is defined %}",
        "{{- ' [INST] ' + system_message + '\n\n' + message['content'] + ' [/INST]'}}",
        "{{- ' [INST] ' + message['content'] + ' [/INST]'}}",
        "{{- ' ' + message['content'] + eos_token}}"},
       {}},
      // NOTE: the raises are required too: without them a system message would be dropped.
      {ChatFormatKind::mistral_legacy,
       {"{{bos_token}}{% for message in messages %}",
        "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{raise_exception(",
        "{% if message['role'] == 'user' %}{{'[INST] ' + message['content'] + ' [/INST]'}}",
        "{% elif message['role'] == 'assistant' %}{{message['content'] + eos_token}}",
        "{% else %}{{raise_exception('Only user and assistant roles are supported!')}}"},
       {}},
  };
  return all;
}

// Qwen2's whole template, around the default system prompt (Qwen1.5's differs only there).
constexpr const char* kQwen2Head =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' "
    "%}{{'<|im_start|>system\n";
constexpr const char* kQwen2Tail =
    "<|im_end|>\n'}}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt "
    "%}{{'<|im_start|>assistant\n'}}{% "
    "endif %}";

const char* name_of(ChatFormatKind kind) {
  ChatFormat f;
  f.kind = kind;
  return f.name();
}

void replace_all(std::string* s, const std::string& from, const std::string& to) {
  for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size())) {
    s->replace(at, from.size(), to);
  }
}

// The template as the signatures are written: "\n" escapes in string literals as the newlines
// they stand for (real files write either), no spaces just inside "{{ }}", no trailing
// whitespace (jinja2 drops a final newline).
std::string normalized(std::string t) {
  replace_all(&t, "\\n", "\n");
  replace_all(&t, "{{ ", "{{");
  replace_all(&t, " }}", "}}");
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

// Qwen2's template with any one-line default system prompt: that prompt.
std::optional<std::string> qwen2_system(const std::string& t) {
  const std::string head = kQwen2Head, tail = kQwen2Tail;
  if (t.size() < head.size() + tail.size() || !t.starts_with(head) || !t.ends_with(tail)) {
    return std::nullopt;
  }
  std::string system = t.substr(head.size(), t.size() - head.size() - tail.size());
  if (system.find_first_of("'\n{}") != std::string::npos) return std::nullopt;
  return system;
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

// The text's first 40 characters on one line, for messages.
std::string quote(const std::string& t) {
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

// The family whose markers the template has, or "".
std::string family_of_template(const std::string& t) {
  if (t.find("<｜User｜>") != std::string::npos && t.find("<｜Assistant｜>") != std::string::npos) {
    return "DeepSeek";
  }
  if (t.find("<|im_start|>") != std::string::npos) return "ChatML";
  if (t.find("[INST]") != std::string::npos) return "Mistral";
  // DeepSeek-V2-Chat's (and DeepSeek LLM's) plain-text turns, written with no special token.
  if (t.find("'User: '") != std::string::npos && t.find("'Assistant: '") != std::string::npos) {
    return "DeepSeek";
  }
  return "";
}

// What keeps the closest variant of the family (most required statements present) from matching.
std::string closest_miss(const std::string& t, const std::string& family) {
  std::string why, names;
  size_t best = 0;
  for (const Variant& v : variants()) {
    if (family != chat_format_family(v.kind)) continue;
    names += std::string(names.empty() ? "" : ", ") + name_of(v.kind);
    size_t hits = 0;
    const char* missing = nullptr;
    for (const char* r : v.required) {
      if (t.find(r) != std::string::npos) {
        ++hits;
      } else if (!missing) {
        missing = r;
      }
    }
    const char* extra = nullptr;
    for (const char* f : v.forbidden) {
      if (!extra && t.find(f) != std::string::npos) extra = f;
    }
    if (why.empty() || hits > best) {
      best = hits;
      why = std::string(name_of(v.kind)) +
            (missing ? " lacks '" + quote(missing) + "'" : " must not have '" + quote(extra) + "'");
    }
  }
  if (family == "ChatML") {
    names += ", qwen2";
    if (t.starts_with(kQwen2Head) || t.ends_with(kQwen2Tail)) {
      why = "qwen2, which must be Qwen2's template with only its system prompt changed";
    }
  }
  return "(known: " + names + "; closest: " + why + ")";
}

// The variant the template is, or ChatTemplateError.
ChatFormat variant_of(const std::string& raw, const std::string& file) {
  const std::string t = normalized(raw);
  const std::string family = family_of_template(t);
  if (family.empty()) {
    throw ChatTemplateError(file + ": field 'chat_template': unrecognized template '" + quote(raw) +
                            "' (known: DeepSeek-V3, V3.1 and R1 <｜User｜>, DeepSeek-V2 'User: ', "
                            "ChatML of Qwen3 and Qwen2 <|im_start|>, Mistral [INST])");
  }
  if (std::optional<std::string> system = qwen2_system(t)) {
    ChatFormat f = chat_format_from_name("qwen2", file);
    f.default_system = *system;
    return f;
  }
  for (const Variant& v : variants()) {
    if (family != chat_format_family(v.kind)) continue;
    bool match = true;
    for (const char* r : v.required) match = match && t.find(r) != std::string::npos;
    for (const char* f : v.forbidden) match = match && t.find(f) == std::string::npos;
    if (match) return chat_format_from_name(name_of(v.kind), file);
  }
  throw ChatTemplateError(file + ": field 'chat_template': a " + family +
                          " template of no known variant, which would be rendered wrong " +
                          closest_miss(t, family));
}

}  // namespace

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
  ChatFormat out = variant_of(t.get<std::string>(), file);
  if (!out.bos.empty()) out.bos = token_text(config, "bos_token", out.bos.c_str());
  return out;
}

}  // namespace moebench
