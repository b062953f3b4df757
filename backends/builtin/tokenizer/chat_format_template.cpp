// The Jinja chat templates of each family, as their real tokenizer_config.json files carry them:
// DeepSeek-V3 and Qwen3 verbatim (from the npm reference packages), DeepSeek-V3.1,
// DeepSeek-V2-Lite-Chat and Qwen2 verbatim (tests/tokenizer/chat_templates),
// Mixtral-8x7B-Instruct-v0.1's current one and its first (verbatim, chat_templates).
#include "backends/builtin/tokenizer/chat_format.h"

namespace moebench {
namespace {

constexpr const char* kDeepSeekV3Template =
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% e"
    "ndif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system"
    "_prompt='', is_first_sp=true) %}{%- for message in messages %}{%- if message['role'] == "
    "'system' %}{%- if ns.is_first_sp %}{% set ns.system_prompt = ns.system_prompt + message["
    "'content'] %}{% set ns.is_first_sp = false %}{%- else %}{% set ns.system_prompt = ns.sys"
    "tem_prompt + '\n"
    "\n"
    "' + message['content'] %}{%- endif %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_p"
    "rompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_to"
    "ol = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == '"
    "assistant' and message['content'] is none %}{%- set ns.is_tool = false -%}{%- for tool i"
    "n message['tool_calls']%}{%- if not ns.is_first %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜"
    "tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n"
    "' + '```json' + '\n"
    "' + tool['function']['arguments'] + '\n"
    "' + '```' + '<｜tool▁call▁end｜>'}}{%- set ns.is_first = true -%}{%- else %}{{'\n"
    "' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '"
    "\n"
    "' + '```json' + '\n"
    "' + tool['function']['arguments'] + '\n"
    "' + '```' + '<｜tool▁call▁end｜>'}}{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}"
    "{%- endfor %}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is"
    " not none %}{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁o"
    "f▁sentence｜>'}}{%- set ns.is_tool = false -%}{%- else %}{{'<｜Assistant｜>' + message['con"
    "tent'] + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}{%- if message['role'] == 'tool'"
    " %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %}{{'<｜tool▁outputs▁begin｜><｜t"
    "ool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- set ns.is_output_f"
    "irst = false %}{%- else %}{{'\n"
    "<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- end"
    "if %}{%- endfor -%}{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}{% if add_gen"
    "eration_prompt and not ns.is_tool %}{{'<｜Assistant｜>'}}{% endif %}";

constexpr const char* kQwen3Template =
    "{%- if tools %}\n"
    "    {{- '<|im_start|>system\\n' }}\n"
    "    {%- if messages[0].role == 'system' %}\n"
    "        {{- messages[0].content + '\\n\\n' }}\n"
    "    {%- endif %}\n"
    "    {{- \"# Tools\\n\\nYou may call one or more functions to assist with the user query."
    "\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tool"
    "s>\" }}\n"
    "    {%- for tool in tools %}\n"
    "        {{- \"\\n\" }}\n"
    "        {{- tool | tojson }}\n"
    "    {%- endfor %}\n"
    "    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function na"
    "me and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\":"
    " <function-name>, \\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" }"
    "}\n"
    "{%- else %}\n"
    "    {%- if messages[0].role == 'system' %}\n"
    "        {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}\n"
    "    {%- endif %}\n"
    "{%- endif %}\n"
    "{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}\n"
    "{%- for message in messages[::-1] %}\n"
    "    {%- set index = (messages|length - 1) - loop.index0 %}\n"
    "    {%- if ns.multi_step_tool and message.role == \"user\" and not(message.content.start"
    "swith('<tool_response>') and message.content.endswith('</tool_response>')) %}\n"
    "        {%- set ns.multi_step_tool = false %}\n"
    "        {%- set ns.last_query_index = index %}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- for message in messages %}\n"
    "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first)"
    " %}\n"
    "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\"
    "n' }}\n"
    "    {%- elif message.role == \"assistant\" %}\n"
    "        {%- set content = message.content %}\n"
    "        {%- set reasoning_content = '' %}\n"
    "        {%- if message.reasoning_content is defined and message.reasoning_content is not"
    " none %}\n"
    "            {%- set reasoning_content = message.reasoning_content %}\n"
    "        {%- else %}\n"
    "            {%- if '</think>' in message.content %}\n"
    "                {%- set content = message.content.split('</think>')[-1].lstrip('\\n') %}"
    "\n"
    "                {%- set reasoning_content = message.content.split('</think>')[0].rstrip("
    "'\\n').split('<think>')[-1].lstrip('\\n') %}\n"
    "            {%- endif %}\n"
    "        {%- endif %}\n"
    "        {%- if loop.index0 > ns.last_query_index %}\n"
    "            {%- if loop.last or (not loop.last and reasoning_content) %}\n"
    "                {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content."
    "strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}\n"
    "            {%- else %}\n"
    "                {{- '<|im_start|>' + message.role + '\\n' + content }}\n"
    "            {%- endif %}\n"
    "        {%- else %}\n"
    "            {{- '<|im_start|>' + message.role + '\\n' + content }}\n"
    "        {%- endif %}\n"
    "        {%- if message.tool_calls %}\n"
    "            {%- for tool_call in message.tool_calls %}\n"
    "                {%- if (loop.first and content) or (not loop.first) %}\n"
    "                    {{- '\\n' }}\n"
    "                {%- endif %}\n"
    "                {%- if tool_call.function %}\n"
    "                    {%- set tool_call = tool_call.function %}\n"
    "                {%- endif %}\n"
    "                {{- '<tool_call>\\n{\"name\": \"' }}\n"
    "                {{- tool_call.name }}\n"
    "                {{- '\", \"arguments\": ' }}\n"
    "                {%- if tool_call.arguments is string %}\n"
    "                    {{- tool_call.arguments }}\n"
    "                {%- else %}\n"
    "                    {{- tool_call.arguments | tojson }}\n"
    "                {%- endif %}\n"
    "                {{- '}\\n</tool_call>' }}\n"
    "            {%- endfor %}\n"
    "        {%- endif %}\n"
    "        {{- '<|im_end|>\\n' }}\n"
    "    {%- elif message.role == \"tool\" %}\n"
    "        {%- if loop.first or (messages[loop.index0 - 1].role != \"tool\") %}\n"
    "            {{- '<|im_start|>user' }}\n"
    "        {%- endif %}\n"
    "        {{- '\\n<tool_response>\\n' }}\n"
    "        {{- message.content }}\n"
    "        {{- '\\n</tool_response>' }}\n"
    "        {%- if loop.last or (messages[loop.index0 + 1].role != \"tool\") %}\n"
    "            {{- '<|im_end|>\\n' }}\n"
    "        {%- endif %}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- '<|im_start|>assistant\\n' }}\n"
    "    {%- if enable_thinking is defined and enable_thinking is false %}\n"
    "        {{- '<think>\\n\\n</think>\\n\\n' }}\n"
    "    {%- endif %}\n"
    "{%- endif %}";

constexpr const char* kDeepSeekV31Template =
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% e"
    "ndif %}{% if not thinking is defined %}{% set thinking = false %}{% endif %}{% set ns = "
    "namespace(is_first=false, is_tool=false, system_prompt='', is_first_sp=true, is_last_use"
    "r=false) %}{%- for message in messages %}{%- if message['role'] == 'system' %}{%- if ns."
    "is_first_sp %}{% set ns.system_prompt = ns.system_prompt + message['content'] %}{% set n"
    "s.is_first_sp = false %}{%- else %}{% set ns.system_prompt = ns.system_prompt + '\n"
    "\n"
    "' + message['content'] %}{%- endif %}{%- endif %}{%- endfor %}{{ bos_token }}{{ ns.syste"
    "m_prompt }}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.i"
    "s_tool = false -%}{%- set ns.is_first = false -%}{%- set ns.is_last_user = true -%}{{'<｜"
    "User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and mess"
    "age['tool_calls'] is defined and message['tool_calls'] is not none %}{%- if ns.is_last_u"
    "ser %}{{'<｜Assistant｜></think>'}}{%- endif %}{%- set ns.is_last_user = false -%}{%- set "
    "ns.is_first = false %}{%- set ns.is_tool = false -%}{%- for tool in message['tool_calls'"
    "] %}{%- if not ns.is_first %}{%- if message['content'] is none %}{{'<｜tool▁calls▁begin｜>"
    "<｜tool▁call▁begin｜>'+ tool['function']['name'] + '<｜tool▁sep｜>' + tool['function']['argu"
    "ments'] + '<｜tool▁call▁end｜>'}}{%- else %}{{message['content'] + '<｜tool▁calls▁begin｜><｜"
    "tool▁call▁begin｜>' + tool['function']['name'] + '<｜tool▁sep｜>' + tool['function']['argum"
    "ents'] + '<｜tool▁call▁end｜>'}}{%- endif %}{%- set ns.is_first = true -%}{%- else %}{{'<｜"
    "tool▁call▁begin｜>'+ tool['function']['name'] + '<｜tool▁sep｜>' + tool['function']['argume"
    "nts'] + '<｜tool▁call▁end｜>'}}{%- endif %}{%- endfor %}{{'<｜tool▁calls▁end｜><｜end▁of▁sent"
    "ence｜>'}}{%- endif %}{%- if message['role'] == 'assistant' and (message['tool_calls'] is"
    " not defined or message['tool_calls'] is none) %}{%- if ns.is_last_user %}{{'<｜Assistant"
    "｜>'}}{%- if message['prefix'] is defined and message['prefix'] and thinking %}{{'<think>"
    "'}}  {%- else %}{{'</think>'}}{%- endif %}{%- endif %}{%- set ns.is_last_user = false -%"
    "}{%- if ns.is_tool %}{{message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = "
    "false -%}{%- else %}{%- set content = message['content'] -%}{%- if '</think>' in content"
    " %}{%- set content = content.split('</think>', 1)[1] -%}{%- endif %}{{content + '<｜end▁o"
    "f▁sentence｜>'}}{%- endif %}{%- endif %}{%- if message['role'] == 'tool' %}{%- set ns.is_"
    "last_user = false -%}{%- set ns.is_tool = true -%}{{'<｜tool▁output▁begin｜>' + message['c"
    "ontent'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endfor -%}{%- if add_generation_prompt"
    " and ns.is_last_user and not ns.is_tool %}{{'<｜Assistant｜>'}}{%- if not thinking %}{{'</"
    "think>'}}{%- else %}{{'<think>'}}{%- endif %}{% endif %}";

// NOTE: its "\n\n" are newline characters in the file (JSON "\n"), not Jinja escapes.
constexpr const char* kDeepSeekV2Template =
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% e"
    "ndif %}{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ "
    "'User: ' + message['content'] + '\n"
    "\n"
    "' }}{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + message['content'] + eos"
    "_token }}{% elif message['role'] == 'system' %}{{ message['content'] + '\n"
    "\n"
    "' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

constexpr const char* kQwen2Template =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '"
    "<|im_start|>system\n"
    "You are a helpful assistant.<|im_end|>\n"
    "' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n"
    "' + message['content'] + '<|im_end|>' + '\n"
    "'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n"
    "' }}{% endif %}";

constexpr const char* kMistralTemplate =
    "{%- if messages[0]['role'] == 'system' %}\n"
    "    {%- set system_message = messages[0]['content'] %}\n"
    "    {%- set loop_messages = messages[1:] %}\n"
    "{%- else %}\n"
    "    {%- set loop_messages = messages %}\n"
    "{%- endif %}\n"
    "\n"
    "{{- bos_token }}\n"
    "{%- for message in loop_messages %}\n"
    "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n"
    "        {{- raise_exception('After the optional system message, conversation roles must "
    "alternate user/assistant/user/assistant/...') }}\n"
    "    {%- endif %}\n"
    "    {%- if message['role'] == 'user' %}\n"
    "        {%- if loop.first and system_message is defined %}\n"
    "            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]'"
    " }}\n"
    "        {%- else %}\n"
    "            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n"
    "        {%- endif %}\n"
    "    {%- elif message['role'] == 'assistant' %}\n"
    "        {{- ' ' + message['content'] + eos_token}}\n"
    "    {%- else %}\n"
    "        {{- raise_exception('Only user and assistant roles are supported, with the excep"
    "tion of an initial optional system message!') }}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n";

// Mixtral-8x7B-Instruct-v0.1's first template.
constexpr const char* kMistralLegacyTemplate =
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.inde"
    "x0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/as"
    "sistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['conten"
    "t'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_tok"
    "en}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif"
    " %}{% endfor %}";

// DeepSeek-R1's changes to the V3 template: an assistant turn keeps what follows its "</think>",
// and the generation prompt opens the thinking.
std::string deepseek_r1_template() {
  std::string t = kDeepSeekV3Template;
  const std::string turn = "{{'<｜Assistant｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}";
  const std::string r1_turn =
      "{% set content = message['content'] %}{% if '</think>' in content %}{% set content = "
      "content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + "
      "'<｜end▁of▁sentence｜>'}}";
  t.replace(t.find(turn), turn.size(), r1_turn);
  const std::string prompt = "{{'<｜Assistant｜>'}}{% endif %}";
  t.replace(t.rfind(prompt), prompt.size(), "{{'<｜Assistant｜><think>\\n'}}{% endif %}");
  return t;
}

}  // namespace

std::string chat_format_template(ChatFormatKind kind) {
  switch (kind) {
    case ChatFormatKind::deepseek_v3:
      return kDeepSeekV3Template;
    case ChatFormatKind::deepseek_r1:
      return deepseek_r1_template();
    case ChatFormatKind::deepseek_v3_1:
      return kDeepSeekV31Template;
    case ChatFormatKind::deepseek_v2:
      return kDeepSeekV2Template;
    case ChatFormatKind::chatml:
      return kQwen3Template;
    case ChatFormatKind::qwen2:
      return kQwen2Template;
    case ChatFormatKind::mistral:
      return kMistralTemplate;
    case ChatFormatKind::mistral_legacy:
      return kMistralLegacyTemplate;
  }
  return "";
}

}  // namespace moebench
