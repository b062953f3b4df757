// The OpenAI routes of the loopback server: chat completions (with the DeepSeek flavour),
// completions (echo, logprobs) and the models list, as JSON bodies or SSE chunks.
#include <algorithm>
#include <ctime>

#include "tests/loopback/server/routes.h"
#include "tests/loopback/server/text_pieces.h"

namespace moebench::loopback {

namespace {

bool is_deepseek(const std::string& model) { return model.rfind("deepseek", 0) == 0; }

// OpenAI's reasoning models (o1, o3, o4-mini) think before the answer and send none of it:
// completion_tokens_details.reasoning_tokens counts it.
bool thinks_hidden(const std::string& model) {
  return model.size() >= 2 && model[0] == 'o' && model[1] >= '1' && model[1] <= '9';
}

json usage_json(const Usage& u, const std::string& model) {
  json j = {{"prompt_tokens", u.prompt},
            {"completion_tokens", u.completion},
            {"total_tokens", u.prompt + u.completion},
            {"prompt_tokens_details", {{"cached_tokens", u.cached_prompt}}},
            {"completion_tokens_details", {{"reasoning_tokens", u.reasoning}}}};
  if (is_deepseek(model)) {
    j["prompt_cache_hit_tokens"] = u.cached_prompt;
    j["prompt_cache_miss_tokens"] = u.prompt - u.cached_prompt;
  }
  return j;
}

struct Common {
  std::string model;
  int n = 1;
  bool stream = false;
  bool include_usage = false;
  std::vector<std::string> stops;
};

Common parse_common(const json& body) {
  if (!body.is_object()) throw BadRequest{"the body must be a JSON object", ""};
  Common c;
  c.model = route_model(body);
  c.n = route_get_int(body, "n", 1, 1);
  route_check_number(body, "temperature");
  route_check_number(body, "top_p");
  // OpenAI and vLLM take any 64-bit integer seed.
  if (body.contains("seed") && !body["seed"].is_null() && !body["seed"].is_number_integer())
    throw BadRequest{"seed must be an integer", "seed"};
  c.stops = route_parse_stops(body, "stop");
  if (body.contains("stream") && !body["stream"].is_null()) {
    if (!body["stream"].is_boolean()) throw BadRequest{"stream must be a boolean", "stream"};
    c.stream = body["stream"].get<bool>();
  }
  if (body.contains("stream_options") && body["stream_options"].is_object())
    c.include_usage = body["stream_options"].value("include_usage", false);
  return c;
}

json chunk_base(const std::string& object, const std::string& id, const Common& c) {
  json j = {{"id", id},
            {"object", object},
            {"created", std::time(nullptr)},
            {"model", c.model},
            {"system_fingerprint", "fp_loopback"}};
  if (c.include_usage) j["usage"] = nullptr;
  return j;
}

// The usage chunk and [DONE] that end every OpenAI stream.
void end_stream(Reply& r, json base, const Common& c) {
  if (c.include_usage) {
    r.usage_in_stream = true;
    base["choices"] = json::array();
    base["usage"] = usage_json(r.usage, c.model);
    r.events.push_back(sse_data(base));
  }
  r.events.push_back("data: [DONE]\n\n");
}

}  // namespace

namespace {

// Chat messages as role/content pairs and the flattened prompt.
ChatPrompt parse_messages(const json& body) {
  if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty())
    throw BadRequest{"messages must be a non-empty array", "messages"};
  ChatPrompt prompt;
  for (size_t i = 0; i < body["messages"].size(); ++i) {
    const json& m = body["messages"][i];
    const std::string field = "messages[" + std::to_string(i) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      throw BadRequest{field + ".role must be a string", field + ".role"};
    std::string content = m.contains("content") && !m["content"].is_null()
                              ? route_text_content(m["content"], field + ".content")
                              : std::string();
    prompt.add(m["role"].get<std::string>(), content);
  }
  return prompt;
}

std::string chat_body(const json& base, const Generation& g, const Common& c, const Usage& usage,
                      const std::string& finish) {
  json message = {{"role", "assistant"}, {"content", route_join(g.pieces)}, {"refusal", nullptr}};
  if (!g.reasoning.empty()) message["reasoning_content"] = route_join(g.reasoning);
  json choices = json::array();
  for (int i = 0; i < c.n; ++i)
    choices.push_back(
        {{"index", i}, {"message", message}, {"logprobs", nullptr}, {"finish_reason", finish}});
  json j = base;
  j["choices"] = choices;
  j["usage"] = usage_json(usage, c.model);
  return j.dump();
}

// Role deltas, reasoning then content pieces (choices interleaved by index), finish deltas.
void chat_events(const json& base, const Generation& g, const Common& c, const std::string& finish,
                 Reply* r) {
  auto emit = [&](int index, json delta, json finish_reason) {
    json j = base;
    j["choices"] = json::array({{{"index", index},
                                 {"delta", std::move(delta)},
                                 {"logprobs", nullptr},
                                 {"finish_reason", std::move(finish_reason)}}});
    r->events.push_back(sse_data(j));
  };
  for (int i = 0; i < c.n; ++i) emit(i, {{"role", "assistant"}, {"content", ""}}, nullptr);
  for (const auto& piece : g.reasoning)
    for (int i = 0; i < c.n; ++i) emit(i, {{"reasoning_content", piece}}, nullptr);
  for (const auto& piece : g.pieces)
    for (int i = 0; i < c.n; ++i) emit(i, {{"content", piece}}, nullptr);
  for (int i = 0; i < c.n; ++i) emit(i, json::object(), finish);
  end_stream(*r, base, c);
}

}  // namespace

Reply openai_chat(const RouteContext& ctx, const json& body) {
  Common c = parse_common(body);
  ChatPrompt prompt = parse_messages(body);
  int max_tokens = route_get_int(body, "max_completion_tokens", -1, 0);
  if (max_tokens < 0) max_tokens = route_get_int(body, "max_tokens", -1, 0);
  const bool thinks = c.model == "deepseek-reasoner" || thinks_hidden(c.model);
  const std::string reasoning = thinks ? route_reasoning_text(40) : "";
  Generation g = route_generate(ctx.answers.find(prompt.messages), c.stops, max_tokens, reasoning);
  const std::string finish = g.length ? "length" : "stop";

  Reply r;
  r.stream = c.stream;
  r.usage.prompt = prompt.tokens;
  r.usage.cached_prompt = ctx.cache.cached(prompt.flat);
  r.usage.reasoning = c.n * static_cast<int>(g.reasoning.size());
  r.usage.completion = c.n * static_cast<int>(g.pieces.size()) + r.usage.reasoning;
  if (thinks_hidden(c.model)) g.reasoning.clear();  // counted, never sent
  r.prompts.push_back(prompt.flat);
  const std::string id = "chatcmpl-" + ctx.id;
  if (c.stream)
    chat_events(chunk_base("chat.completion.chunk", id, c), g, c, finish, &r);
  else
    r.body = chat_body(chunk_base("chat.completion", id, c), g, c, r.usage, finish);
  return r;
}

namespace {

// choices[i].logprobs over `pieces`; offsets in code points from `offset`.
json logprobs_json(const std::vector<std::string>& pieces, bool first_null, int* offset) {
  json tokens = json::array(), lps = json::array(), tops = json::array(), offs = json::array();
  for (size_t i = 0; i < pieces.size(); ++i) {
    const double lp = text_piece_logprob(pieces[i]);
    tokens.push_back(pieces[i]);
    const bool null = first_null && i == 0;
    lps.push_back(null ? json(nullptr) : json(lp));
    tops.push_back(null ? json(nullptr) : json{{pieces[i], lp}});
    offs.push_back(*offset);
    *offset += text_count_code_points(pieces[i]);
  }
  return {
      {"tokens", tokens}, {"token_logprobs", lps}, {"top_logprobs", tops}, {"text_offset", offs}};
}

}  // namespace

namespace {

struct CompletionFlags {
  bool echo = false;
  bool logprobs = false;
};

// The non-stream choice of one prompt.
json completion_choice(const std::string& prompt, const std::vector<std::string>& prompt_pieces,
                       const Generation& g, int index, CompletionFlags f,
                       const std::string& finish) {
  int offset = 0;
  std::vector<std::string> all = f.echo ? prompt_pieces : std::vector<std::string>();
  all.insert(all.end(), g.pieces.begin(), g.pieces.end());
  json lp = f.logprobs ? logprobs_json(all, f.echo && !prompt_pieces.empty(), &offset) : json();
  return {{"text", (f.echo ? prompt : "") + route_join(g.pieces)},
          {"index", index},
          {"logprobs", lp},
          {"finish_reason", finish}};
}

// The streamed choices of one prompt: the echoed prompt, one per piece, the finish.
std::vector<json> completion_chunks(const std::string& prompt,
                                    const std::vector<std::string>& prompt_pieces,
                                    const Generation& g, int index, CompletionFlags f,
                                    const std::string& finish) {
  std::vector<json> chunks;
  int offset = 0;
  if (f.echo && !prompt_pieces.empty())
    chunks.push_back(
        {{"text", prompt},
         {"index", index},
         {"logprobs", f.logprobs ? logprobs_json(prompt_pieces, true, &offset) : json()},
         {"finish_reason", nullptr}});
  for (const auto& piece : g.pieces)
    chunks.push_back({{"text", piece},
                      {"index", index},
                      {"logprobs", f.logprobs ? logprobs_json({piece}, false, &offset) : json()},
                      {"finish_reason", nullptr}});
  chunks.push_back(
      {{"text", ""}, {"index", index}, {"logprobs", nullptr}, {"finish_reason", finish}});
  return chunks;
}

std::vector<std::string> parse_prompts(const json& body) {
  if (!body.contains("prompt")) throw BadRequest{"prompt is required", "prompt"};
  const json& p = body["prompt"];
  if (p.is_string()) return {p.get<std::string>()};
  if (!p.is_array() || p.empty() ||
      !std::all_of(p.begin(), p.end(), [](const json& x) { return x.is_string(); }))
    throw BadRequest{"prompt must be a string or a non-empty array of strings", "prompt"};
  return p.get<std::vector<std::string>>();
}

}  // namespace

Reply openai_completions(const RouteContext& ctx, const json& body) {
  Common c = parse_common(body);
  const std::vector<std::string> prompts = parse_prompts(body);
  const int max_tokens = route_get_int(body, "max_tokens", 16, 0);
  CompletionFlags f;
  if (body.contains("echo") && !body["echo"].is_null()) {
    if (!body["echo"].is_boolean()) throw BadRequest{"echo must be a boolean", "echo"};
    f.echo = body["echo"].get<bool>();
  }
  f.logprobs = body.contains("logprobs") && !body["logprobs"].is_null();
  if (f.logprobs) route_get_int(body, "logprobs", 0, 0);

  Reply r;
  r.stream = c.stream;
  const json base = chunk_base("text_completion", "cmpl-" + ctx.id, c);
  json choices = json::array();
  std::vector<std::vector<json>> streamed;  // per choice, its chunks' choice objects
  for (size_t pi = 0; pi < prompts.size(); ++pi) {
    const auto prompt_pieces = text_split_pieces(prompts[pi]);
    Generation g = route_generate(ctx.answers.find(json(prompts[pi])), c.stops, max_tokens, "");
    r.usage.prompt += static_cast<int>(prompt_pieces.size());
    r.usage.cached_prompt += ctx.cache.cached(prompt_pieces);
    r.usage.completion += c.n * static_cast<int>(g.pieces.size());
    r.prompts.push_back(prompt_pieces);
    const std::string finish = g.length ? "length" : "stop";
    for (int k = 0; k < c.n; ++k) {
      const int index = static_cast<int>(pi) * c.n + k;
      if (c.stream)
        streamed.push_back(completion_chunks(prompts[pi], prompt_pieces, g, index, f, finish));
      else
        choices.push_back(completion_choice(prompts[pi], prompt_pieces, g, index, f, finish));
    }
  }
  if (!c.stream) {
    json j = base;
    j["choices"] = choices;
    j["usage"] = usage_json(r.usage, c.model);
    r.body = j.dump();
    return r;
  }
  // Interleave the choices' chunks by step.
  for (size_t step = 0;; ++step) {
    bool any = false;
    for (const auto& chunks : streamed) {
      if (step >= chunks.size()) continue;
      json j = base;
      j["choices"] = json::array({chunks[step]});
      r.events.push_back(sse_data(j));
      any = true;
    }
    if (!any) break;
  }
  end_stream(r, base, c);
  return r;
}

json openai_models() {
  json data = json::array();
  for (const char* id :
       {"loopback", "gpt-loopback", "deepseek-chat", "deepseek-reasoner", "claude-loopback"})
    data.push_back({{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "moebench"}});
  return {{"object", "list"}, {"data", data}};
}

}  // namespace moebench::loopback
