// The Anthropic Messages route of the loopback server: a message body, or the event stream
// (message_start, content blocks with text/thinking deltas, message_delta, message_stop).
#include "tests/loopback/server/routes.h"

namespace moebench::loopback {

namespace {

json usage_json(const Usage& u) {
  // NOTE: Anthropic's input_tokens excludes the tokens read from the cache.
  return {{"input_tokens", u.prompt - u.cached_prompt},
          {"output_tokens", u.completion},
          {"cache_creation_input_tokens", 0},
          {"cache_read_input_tokens", u.cached_prompt}};
}

ChatPrompt parse_prompt(const json& body) {
  ChatPrompt prompt;
  if (body.contains("system") && !body["system"].is_null())
    prompt.add("system", route_text_content(body["system"], "system"));
  if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty())
    throw BadRequest{"messages: field required (a non-empty array)", "messages"};
  for (size_t i = 0; i < body["messages"].size(); ++i) {
    const json& m = body["messages"][i];
    const std::string field = "messages." + std::to_string(i);
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content"))
      throw BadRequest{field + ": role and content are required", field};
    prompt.add(m["role"].get<std::string>(), route_text_content(m["content"], field + ".content"));
  }
  return prompt;
}

// What the body and the events of one answer share.
struct Answer {
  std::string id, model, stop_reason;
  json stop_sequence;
  bool thinking = false;
  Usage usage;
  Generation g;
};

const char* kSignature = "bG9vcGJhY2s=";

std::string message_body(const Answer& a) {
  json content = json::array();
  if (a.thinking)
    content.push_back(
        {{"type", "thinking"}, {"thinking", route_join(a.g.reasoning)}, {"signature", kSignature}});
  content.push_back({{"type", "text"}, {"text", route_join(a.g.pieces)}});
  return json{{"id", a.id},
              {"type", "message"},
              {"role", "assistant"},
              {"model", a.model},
              {"content", content},
              {"stop_reason", a.stop_reason},
              {"stop_sequence", a.stop_sequence},
              {"usage", usage_json(a.usage)}}
      .dump();
}

// One content block: start, (ping after the first start), deltas, (signature), stop.
void block_events(int index, const json& start, const std::vector<std::string>& pieces,
                  const std::string& delta_type, const std::string& field,
                  std::vector<std::string>* events) {
  events->push_back(
      sse_event("content_block_start",
                {{"type", "content_block_start"}, {"index", index}, {"content_block", start}}));
  if (index == 0) events->push_back(sse_event("ping", {{"type", "ping"}}));
  for (const auto& piece : pieces)
    events->push_back(
        sse_event("content_block_delta", {{"type", "content_block_delta"},
                                          {"index", index},
                                          {"delta", {{"type", delta_type}, {field, piece}}}}));
  if (delta_type == "thinking_delta")
    events->push_back(
        sse_event("content_block_delta",
                  {{"type", "content_block_delta"},
                   {"index", index},
                   {"delta", {{"type", "signature_delta"}, {"signature", kSignature}}}}));
  events->push_back(
      sse_event("content_block_stop", {{"type", "content_block_stop"}, {"index", index}}));
}

std::vector<std::string> message_events(const Answer& a) {
  std::vector<std::string> events;
  json start_usage = usage_json(a.usage);
  start_usage["output_tokens"] = 1;
  events.push_back(sse_event("message_start", {{"type", "message_start"},
                                               {"message",
                                                {{"id", a.id},
                                                 {"type", "message"},
                                                 {"role", "assistant"},
                                                 {"model", a.model},
                                                 {"content", json::array()},
                                                 {"stop_reason", nullptr},
                                                 {"stop_sequence", nullptr},
                                                 {"usage", start_usage}}}}));
  int index = 0;
  if (a.thinking)
    block_events(index++, {{"type", "thinking"}, {"thinking", ""}, {"signature", ""}},
                 a.g.reasoning, "thinking_delta", "thinking", &events);
  block_events(index, {{"type", "text"}, {"text", ""}}, a.g.pieces, "text_delta", "text", &events);
  events.push_back(
      sse_event("message_delta",
                {{"type", "message_delta"},
                 {"delta", {{"stop_reason", a.stop_reason}, {"stop_sequence", a.stop_sequence}}},
                 {"usage", usage_json(a.usage)}}));
  events.push_back(sse_event("message_stop", {{"type", "message_stop"}}));
  return events;
}

}  // namespace

Reply anthropic_messages(const RouteContext& ctx, const json& body) {
  if (!body.is_object()) throw BadRequest{"the body must be a JSON object", ""};
  Answer a;
  a.model = route_model(body);
  if (!body.contains("max_tokens")) throw BadRequest{"max_tokens: field required", "max_tokens"};
  const int max_tokens = route_get_int(body, "max_tokens", 0, 1);
  route_check_number(body, "temperature");
  route_check_number(body, "top_p");
  const auto stops = route_parse_stops(body, "stop_sequences");
  int budget = -1;
  if (body.contains("thinking") && body["thinking"].is_object() &&
      body["thinking"].value("type", "") == "enabled")
    budget = route_get_int(body["thinking"], "budget_tokens", 1024, 1);
  ChatPrompt prompt = parse_prompt(body);
  a.thinking = budget > 0;
  const std::string thinking = a.thinking ? route_reasoning_text(std::min(budget, 40)) : "";
  a.g = route_generate(ctx.answers.find(prompt.messages), stops, max_tokens, thinking);
  a.stop_reason = a.g.length ? "max_tokens" : a.g.stopped ? "stop_sequence" : "end_turn";
  a.stop_sequence = a.g.stopped ? json(a.g.stop_sequence) : json(nullptr);
  a.id = "msg_" + ctx.id;
  a.usage.prompt = prompt.tokens;
  a.usage.cached_prompt = ctx.cache.cached(prompt.flat);
  a.usage.reasoning = static_cast<int>(a.g.reasoning.size());
  a.usage.completion = static_cast<int>(a.g.pieces.size()) + a.usage.reasoning;

  Reply r;
  r.stream = body.value("stream", false);
  r.usage = a.usage;
  r.usage_in_stream = true;  // message_start and message_delta
  r.prompts.push_back(prompt.flat);
  if (r.stream)
    r.events = message_events(a);
  else
    r.body = message_body(a);
  return r;
}

}  // namespace moebench::loopback
