// The wire formats without a server: request bodies (OpenAI chat/completions/scoring, o1's
// parameters, Anthropic's system and stops), whole responses, SSE event sequences, usage fields
// and the echo-logprob span sums.
#include <cmath>
#include <nlohmann/json.hpp>

#include "backends/api/api_anthropic.h"
#include "backends/api/api_openai.h"
#include "common/error.h"
#include "common/thinking.h"
#include "tests/catch.h"

using namespace moebench;
using nlohmann::json;

namespace {

ModelEntry entry(const std::string& provider) {
  ModelEntry m;
  m.name = "m";
  m.provider = provider;
  m.base_url = "http://127.0.0.1:1/v1";
  m.model = "model-id";
  m.api.n_per_request = provider != "anthropic";
  return m;
}

Request chat_request() {
  Request r;
  r.messages = {{"system", "Be brief."}, {"user", "2+2?"}, {"assistant", "4"}, {"user", "3+3?"}};
  r.generation.max_tokens = 64;
  r.generation.stop = {"\n\n", "Question:", "a", "b", "c"};
  r.generation.temperature = 0;
  r.seed = 0xfffffffffffffff7ull;  // sent as 31 bits
  return r;
}

// Feeds SSE payloads; returns the reply or rethrows the format error.
ApiReply stream_all(const ApiWire& wire, const ApiCall& call,
                    const std::vector<std::string>& events, int* text_events = nullptr) {
  auto s = wire.stream(call);
  int texts = 0;
  for (const std::string& e : events) texts += s->on_event(e);
  if (text_events) *text_events = texts;
  return s->finish();
}

}  // namespace

TEST_CASE("openai chat body carries messages, limits, at most 4 stops and stream_options") {
  OpenAiWire wire(entry("openai"));
  ApiCall call = wire.generate_call(chat_request(), 1);
  CHECK(call.path == "/chat/completions");
  CHECK(call.stream);
  const json& b = call.body;
  CHECK(b["model"] == "model-id");
  CHECK(b["messages"].size() == 4);
  CHECK(b["messages"][0] == json{{"role", "system"}, {"content", "Be brief."}});
  CHECK(b["max_tokens"] == 64);
  CHECK(b["temperature"] == 0.0);
  CHECK(b["seed"] == 0x7ffffff7);
  CHECK(b["stop"] == json::array({"\n\n", "Question:", "a", "b"}));
  CHECK(b["stream_options"]["include_usage"] == true);
  CHECK_FALSE(b.contains("n"));
  CHECK_FALSE(b.contains("top_p"));
  CHECK(wire.generate_call(chat_request(), 3).body["n"] == 3);
  CHECK(wire.headers("sk-1") ==
        std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer sk-1"}});
  CHECK(wire.headers("").empty());
}

// Reviewer 73, F5: vLLM, SGLang, llama.cpp server and Ollama take any number of stops; the cap of
// 4 (OpenAI's) kept HumanEval's "\ndef" from the server, which generated on to max_tokens.
TEST_CASE("openai-compatible bodies carry every stop and openai and deepseek the first 4") {
  CHECK(OpenAiWire(entry("openai-compatible")).generate_call(chat_request(), 1).body["stop"] ==
        json::array({"\n\n", "Question:", "a", "b", "c"}));
  CHECK(OpenAiWire(entry("deepseek")).generate_call(chat_request(), 1).body["stop"].size() == 4);
  Request completion = chat_request();
  completion.messages.clear();
  completion.prompt = "def f():";
  ModelEntry m = entry("openai-compatible");
  m.api.endpoint = "completions";
  CHECK(OpenAiWire(m).generate_call(completion, 1).body["stop"].size() == 5);
}

TEST_CASE("o1 style entries send max_completion_tokens and omit what the model rejects") {
  ModelEntry m = entry("openai");
  m.api.max_tokens_field = "max_completion_tokens";
  m.api.omit = {"temperature", "top_p", "stop"};
  m.generation.max_tokens = 32768;
  ApiCall call = OpenAiWire(m).generate_call(chat_request(), 1);
  CHECK(call.body["max_completion_tokens"] == 32768);
  CHECK_FALSE(call.body.contains("max_tokens"));
  CHECK_FALSE(call.body.contains("temperature"));
  CHECK_FALSE(call.body.contains("stop"));
}

TEST_CASE("deepseek bodies carry no seed and the model's overrides win over the suite") {
  ModelEntry m = entry("deepseek");
  m.generation.temperature = 0.6;
  ApiCall call = OpenAiWire(m).generate_call(chat_request(), 1);
  CHECK_FALSE(call.body.contains("seed"));
  CHECK(call.body["temperature"] == 0.6);
}

TEST_CASE("completions endpoint sends the raw prompt and refuses chat-only requests") {
  ModelEntry m = entry("openai-compatible");
  m.api.endpoint = "completions";
  m.api.stream = false;
  Request r;
  r.prompt = "Q: 1+1\nA:";
  ApiCall call = OpenAiWire(m).generate_call(r, 1);
  CHECK(call.path == "/completions");
  CHECK(call.body["prompt"] == "Q: 1+1\nA:");
  CHECK_FALSE(call.body.contains("stream"));
  CHECK_THROWS_AS(OpenAiWire(m).generate_call(chat_request(), 1), InputError);
}

TEST_CASE("scoring call echoes context plus each continuation with code point spans") {
  Request r;
  r.prompt = "Frage: größer? Antwort:";  // 2 two-byte characters before the continuation
  r.continuations = {" ja", " nein"};
  ApiCall call = OpenAiWire(entry("openai-compatible")).loglik_call(r);
  CHECK(call.path == "/completions");
  CHECK(call.body["echo"] == true);
  CHECK(call.body["logprobs"] == 1);
  CHECK(call.body["max_tokens"] == 1);
  CHECK(call.body["prompt"] == json::array({r.prompt + " ja", r.prompt + " nein"}));
  REQUIRE(call.spans.size() == 2);
  CHECK(call.spans[0] == std::make_pair<size_t, size_t>(23, 26));
  CHECK(call.spans[1] == std::make_pair<size_t, size_t>(23, 28));
}

TEST_CASE("span log-likelihood sums the echoed tokens inside the continuation only") {
  // "ab" + " cd" + generated "!": tokens "a","b"," c","d","!" at offsets 0,1,2,4,5.
  json lp = {{"tokens", {"a", "b", " c", "d", "!"}},
             {"token_logprobs", {nullptr, -1.0, -0.5, -0.25, -3.0}},
             {"text_offset", {0, 1, 2, 4, 5}}};
  CHECK(std::abs(openai_span_loglik(lp, {2, 5}) - (-0.75)) < 1e-12);
  CHECK(std::abs(openai_span_loglik(lp, {1, 5}) - (-1.75)) < 1e-12);
  // A continuation whose first token is the prompt's first has no log-probability.
  CHECK_THROWS_AS(openai_span_loglik(lp, {0, 5}), ApiFormatError);
  CHECK_THROWS_AS(openai_span_loglik(json{{"tokens", json::array()}}, {0, 1}), ApiFormatError);
  // "ab" + "é" + generated "!", the é split over two byte tokens: the first has no text of its
  // own (offset 2, as the second) and still counts for the continuation.
  json split = {{"tokens", {"a", "b", "", "é", "!"}},
                {"token_logprobs", {nullptr, -1.0, -0.5, -0.25, -3.0}},
                {"text_offset", {0, 1, 2, 2, 3}}};
  CHECK(std::abs(openai_span_loglik(split, {2, 3}) - (-0.75)) < 1e-12);
  CHECK(std::abs(openai_span_loglik(split, {1, 2}) - (-1.0)) < 1e-12);
}

TEST_CASE("openai chat response with DeepSeek reasoning and cache-hit usage") {
  OpenAiWire wire(entry("deepseek"));
  ApiCall call = wire.generate_call(chat_request(), 1);
  json body = {
      {"choices",
       {{{"index", 0},
         {"message", {{"role", "assistant"}, {"content", "6"}, {"reasoning_content", "3+3=6"}}},
         {"finish_reason", "stop"}}}},
      {"usage",
       {{"prompt_tokens", 100},
        {"completion_tokens", 30},
        {"prompt_cache_hit_tokens", 64},
        {"prompt_cache_miss_tokens", 36},
        {"completion_tokens_details", {{"reasoning_tokens", 25}}}}}};
  ApiReply r = wire.parse(body, call);
  CHECK(r.texts == std::vector<std::string>{"6"});
  CHECK(r.reasoning == std::vector<std::string>{"3+3=6"});
  CHECK(r.usage);
  CHECK(r.tokens.prompt == 100);
  CHECK(r.tokens.cached_prompt == 64);
  CHECK(r.tokens.completion == 30);
  CHECK(r.tokens.reasoning == 25);
  // OpenAI's own field for cached tokens.
  json openai_usage_body = {{"prompt_tokens", 10},
                            {"prompt_tokens_details", {{"cached_tokens", 8}}}};
  CHECK(openai_usage(openai_usage_body).cached_prompt == 8);
}

TEST_CASE("openai responses that break the format are protocol errors") {
  OpenAiWire wire(entry("openai"));
  ApiCall call = wire.generate_call(chat_request(), 2);
  CHECK_THROWS_AS(wire.parse(json{{"id", "x"}}, call), ApiFormatError);
  json one_choice = {{"choices", {{{"index", 0}, {"message", {{"content", "a"}}}}}}};
  CHECK_THROWS_AS(wire.parse(one_choice, call), ApiFormatError);  // 2 asked for
  try {
    wire.parse(json{{"error", {{"message", "overloaded"}}}}, call);
    FAIL("no throw");
  } catch (const ApiFormatError& e) {
    CHECK(std::string(error_type_name(e.type())) == "http");
    CHECK(std::string(e.what()).find("overloaded") != std::string::npos);
  }
  CHECK(wire.error_message(R"({"error":{"message":"Rate limit reached","type":"requests"}})") ==
        "Rate limit reached");
}

// Found by the openai_response and anthropic_response fuzz targets (UBSan): a usage count of
// 1e300 and a text_offset of -2.5 were converted to long / size_t, which is undefined behavior.
TEST_CASE("usage counts beyond a long and non-integer text offsets are no counts and errors") {
  OpenAiWire wire(entry("openai"));
  ApiCall call = wire.generate_call(chat_request(), 1);
  const json body = {{"choices", {{{"index", 0}, {"message", {{"content", "4"}}}}}},
                     {"usage", {{"prompt_tokens", 1e300}, {"completion_tokens", 3.0}}}};
  const ApiReply r = wire.parse(body, call);
  CHECK(r.tokens.prompt == 0);
  CHECK(r.tokens.completion == 3);
  json lp = {
      {"tokens", {"a", "b"}}, {"token_logprobs", {nullptr, -1.0}}, {"text_offset", {0, -2.5}}};
  CHECK_THROWS_AS(openai_span_loglik(lp, {1, 2}), ApiFormatError);
  lp["text_offset"] = {0, 1e300};
  CHECK_THROWS_AS(openai_span_loglik(lp, {1, 2}), ApiFormatError);
  CHECK(anthropic_usage(json{{"input_tokens", -1e300}, {"output_tokens", 2}}).prompt == 0);
}

TEST_CASE("openai stream assembles interleaved choices, counts text chunks and reads usage") {
  OpenAiWire wire(entry("openai"));
  ApiCall call = wire.generate_call(chat_request(), 2);
  int text_events = 0;
  ApiReply r =
      stream_all(wire, call,
                 {R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",
                  R"({"choices":[{"index":0,"delta":{"content":"He"}}]})",
                  R"({"choices":[{"index":1,"delta":{"content":"Hi"}}]})",
                  R"({"choices":[{"index":0,"delta":{"content":"llo"}}]})",
                  R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",
                  R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3}})", "[DONE]"},
                 &text_events);
  CHECK(text_events == 3);
  CHECK(r.texts == std::vector<std::string>{"Hello", "Hi"});
  CHECK(r.usage);
  CHECK(r.tokens.prompt == 12);
  CHECK(r.tokens.completion == 3);
}

TEST_CASE("openai stream without DONE, with a bad event or an error event fails") {
  OpenAiWire wire(entry("openai"));
  ApiCall call = wire.generate_call(chat_request(), 1);
  CHECK_THROWS_AS(stream_all(wire, call, {R"({"choices":[{"delta":{"content":"x"}}]})"}),
                  ApiFormatError);
  CHECK_THROWS_AS(stream_all(wire, call, {R"({"choices":[{"delta":)"}), ApiFormatError);
  CHECK_THROWS_AS(stream_all(wire, call, {R"({"error":{"message":"boom"}})", "[DONE]"}),
                  ApiFormatError);
  CHECK_THROWS_AS(stream_all(wire, call, {R"({"choices":[{"index":5,"delta":{}}]})"}),
                  ApiFormatError);
  // Without a usage chunk each text chunk counts as one output token.
  ApiReply r = stream_all(wire, call,
                          {R"({"choices":[{"delta":{"content":"a"}}]})",
                           R"({"choices":[{"delta":{"content":"b"}}]})", "[DONE]"});
  CHECK_FALSE(r.usage);
  CHECK(r.tokens.completion == 2);
}

// A server that ignores n streams one choice: the missing ones must not become empty samples
// (scored as wrong answers and cached), as the whole-response parse already refuses.
TEST_CASE("openai stream with fewer choices than asked for is a protocol error") {
  OpenAiWire wire(entry("openai"));
  ApiCall call = wire.generate_call(chat_request(), 3);
  try {
    stream_all(wire, call,
               {R"({"choices":[{"index":0,"delta":{"content":"only one"}}]})",
                R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})", "[DONE]"});
    FAIL("no error");
  } catch (const ApiFormatError& e) {
    CHECK(e.type() == ErrorType::protocol);
    CHECK(std::string(e.what()) == "the stream carried 1 of the 3 choices asked for");
  }
  // A choice that produced no text but arrived (its finish chunk) counts.
  ApiReply r = stream_all(wire, call,
                          {R"({"choices":[{"index":0,"delta":{"content":"a"}}]})",
                           R"({"choices":[{"index":1,"delta":{},"finish_reason":"length"}]})",
                           R"({"choices":[{"index":2,"delta":{"content":"c"}}]})", "[DONE]"});
  CHECK(r.texts == std::vector<std::string>{"a", "", "c"});
}

TEST_CASE("anthropic body puts system apart and drops whitespace-only stop sequences") {
  AnthropicWire wire(entry("anthropic"));
  ApiCall call = wire.generate_call(chat_request(), 1);
  CHECK(call.path == "/messages");
  const json& b = call.body;
  CHECK(b["system"] == "Be brief.");
  CHECK(b["messages"].size() == 3);
  CHECK(b["messages"][0]["role"] == "user");
  CHECK(b["max_tokens"] == 64);
  CHECK(b["stop_sequences"] == json::array({"Question:", "a", "b", "c"}));
  CHECK(b["stream"] == true);
  CHECK_THROWS_AS(wire.generate_call(chat_request(), 2), InputError);
  Request r;
  r.continuations = {"x"};
  CHECK_THROWS_AS(wire.loglik_call(r), InputError);
  auto h = wire.headers("key-1");
  CHECK(h == std::vector<std::pair<std::string, std::string>>{
                 {"anthropic-version", kAnthropicVersion}, {"x-api-key", "key-1"}});
}

TEST_CASE("anthropic body enables extended thinking from the thinking budget") {
  AnthropicWire wire(entry("anthropic"));
  Request r = chat_request();
  r.generation.thinking_budget = 2048;
  const json b = wire.generate_call(r, 1).body;
  CHECK(b["thinking"] == json{{"type", "enabled"}, {"budget_tokens", 2048}});
  CHECK(b["max_tokens"] == 64 + 2048);  // budget_tokens < max_tokens, as the API wants
  CHECK(!b.contains("temperature"));    // refused beside thinking
  CHECK(!b.contains("top_p"));
  CHECK(!wire.generate_call(chat_request(), 1).body.contains("thinking"));
  r.generation.thinking_budget = 1000;
  CHECK_THROWS_WITH(wire.generate_call(r, 1),
                    "api:m: Anthropic's extended thinking needs thinking_budget >= 1024 (got "
                    "1000)");
  ModelEntry own = entry("anthropic");
  own.generation.thinking_budget = 4096;  // the models file's budget wins over the suite's
  CHECK(AnthropicWire(own).generate_call(r, 1).body["thinking"]["budget_tokens"] == 4096);
}

TEST_CASE("anthropic whole response: text and thinking blocks, usage with cache reads") {
  AnthropicWire wire(entry("anthropic"));
  ApiCall call = wire.generate_call(chat_request(), 1);
  json body = {
      {"type", "message"},
      {"content", {{{"type", "thinking"}, {"thinking", "hmm"}}, {{"type", "text"}, {"text", "6"}}}},
      {"usage",
       {{"input_tokens", 20},
        {"cache_read_input_tokens", 64},
        {"cache_creation_input_tokens", 0},
        {"output_tokens", 9}}}};
  ApiReply r = wire.parse(body, call);
  CHECK(r.texts == std::vector<std::string>{"6"});
  CHECK(r.reasoning == std::vector<std::string>{"hmm"});
  CHECK(r.tokens.prompt == 84);
  CHECK(r.tokens.cached_prompt == 64);
  CHECK(r.tokens.completion == 9);
  json err = {{"type", "error"}, {"error", {{"type", "overloaded_error"}, {"message", "busy"}}}};
  try {
    wire.parse(err, call);
    FAIL("no throw");
  } catch (const ApiFormatError& e) {
    CHECK(e.status() == 529);
  }
}

TEST_CASE("anthropic stream: events in order, usage from start and delta, message_stop ends") {
  AnthropicWire wire(entry("anthropic"));
  ApiCall call = wire.generate_call(chat_request(), 1);
  const std::vector<std::string> events = {
      R"({"type":"message_start","message":{"usage":{"input_tokens":10,"cache_read_input_tokens":64,"output_tokens":1}}})",
      R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"so"}})",
      R"({"type":"content_block_stop","index":0})",
      R"({"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}})",
      R"({"type":"ping"})",
      R"({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Six"}})",
      R"({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"."}})",
      R"({"type":"content_block_stop","index":1})",
      R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7}})",
      R"({"type":"message_stop"})"};
  int text_events = 0;
  ApiReply r = stream_all(wire, call, events, &text_events);
  CHECK(text_events == 3);
  CHECK(r.texts == std::vector<std::string>{"Six."});
  CHECK(r.reasoning == std::vector<std::string>{"so"});
  CHECK(r.tokens.prompt == 74);
  CHECK(r.tokens.cached_prompt == 64);
  CHECK(r.tokens.completion == 7);
  std::vector<std::string> cut(events.begin(), events.end() - 1);
  CHECK_THROWS_AS(stream_all(wire, call, cut), ApiFormatError);
  try {
    stream_all(wire, call,
               {events[0],
                R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})"});
    FAIL("no throw");
  } catch (const ApiFormatError& e) {
    CHECK(std::string(error_type_name(e.type())) == "rate_limit");
  }
}

TEST_CASE("client-side stops cut at the earliest sequence") {
  CHECK(api_cut_at_stop("a\n\nQuestion: b", {"Question:", "\n\n"}) == "a");
  CHECK(api_cut_at_stop("abc", {}) == "abc");
  CHECK(api_cut_at_stop("abc", {""}) == "abc");
  CHECK(api_code_points("größer") == 6);
}

// Reviewer 85, F1: the client cut R1-style text (the template opened the thinking, no "<think>")
// at a stop inside the thinking, and a "<think>" block after a preamble at its opening tag.
TEST_CASE("client-side stops fire only after the thinking ends as scoring splits it") {
  const std::vector<std::string> stops = {"Question:"};
  const std::string opened =
      "Hmm. Question: is it 999? I think not.\n</think>\n\nHe fills 100 cartons.\n#### 100";
  CHECK(api_cut_at_stop(opened, stops) == opened);
  const std::string late = "Let me see.\n<think>Question: is it 7?</think>\nIt fell.\n#### -7";
  CHECK(api_cut_at_stop(late, stops) == late);
  CHECK(api_cut_at_stop(opened + "\n\nQuestion: next", stops) == opened + "\n\n");
  // Thinking opened again after the answer: a stop inside it does not fire.
  CHECK(api_cut_at_stop("#### 5 <think>Question: x", stops) == "#### 5 <think>Question: x");
  CHECK(api_cut_at_stop("\n<think>Question: hmm</think>\n#### 25", stops) ==
        "\n<think>Question: hmm</think>\n#### 25");
}

// Reviewer 87, F7: with the stop left to the client, a generation that ran on past its answer into
// an invented turn with thinking of its own was cut after the last </think>, so the invented
// turn's answer was scored. The first stop outside the thinking cuts, as a server's would.
TEST_CASE("client-side stops cut before an invented turn that thinks again") {
  const std::vector<std::string> stops = {"Question:"};
  const std::string answer = "<think>Let me compute.</think>\nHe fills 100 cartons.\n#### 100\n\n";
  const std::string invented = "Question: What is 2+2?\n<think>easy</think>\n2+2=4\n#### 4";
  CHECK(api_cut_at_stop(answer + invented, stops) == answer);
  CHECK(thinking_split(api_cut_at_stop(answer + invented, stops)).answer ==
        "He fills 100 cartons.\n#### 100");
  // Template-opened, then an invented turn; nested tags in the first thinking; a later span
  // holding the stop string is skipped.
  const std::string opened = "Hmm. Question: x?</think>\n#### 7\n\n";
  CHECK(api_cut_at_stop(opened + invented, stops) == opened);
  const std::string nested = "<think>a <think>Question: b</think> Question: c</think>\n#### 3 ";
  CHECK(api_cut_at_stop(nested + invented, stops) == nested);
  const std::string skip = "#### 2 <think>Question: no</think> and ";
  CHECK(api_cut_at_stop(skip + invented, stops) == skip);
}

// Reviewer 85, F5: inline thinking through a server whose usage has no reasoning count recorded
// 0 reasoning tokens; the count is unknown (null), as for Anthropic.
TEST_CASE("inline thinking without a reasoning count in the usage is an unknown count") {
  OpenAiWire wire(entry("openai-compatible"));
  ApiCall call = wire.generate_call(chat_request(), 1);
  auto body = [](const std::string& text, const json& usage) {
    return json{{"choices",
                 {{{"index", 0},
                   {"message", {{"role", "assistant"}, {"content", text}}},
                   {"finish_reason", "stop"}}}},
                {"usage", usage}};
  };
  const json plain = {{"prompt_tokens", 10}, {"completion_tokens", 20}};
  ApiReply r = wire.parse(body("<think>Let me think.</think>Answer: A", plain), call);
  CHECK(r.tokens.reasoning_unknown);
  r = wire.parse(body("Hmm</think>Answer: A", plain), call);
  CHECK(r.tokens.reasoning_unknown);
  r = wire.parse(body("Answer: A", plain), call);
  CHECK_FALSE(r.tokens.reasoning_unknown);
  json counted = plain;
  counted["completion_tokens_details"] = {{"reasoning_tokens", 7}};
  r = wire.parse(body("<think>Let me think.</think>Answer: A", counted), call);
  CHECK_FALSE(r.tokens.reasoning_unknown);
  CHECK(r.tokens.reasoning == 7);
  // Streamed alike.
  auto stream = wire.stream(call);
  stream->on_event(R"({"choices":[{"index":0,"delta":{"content":"<think>hm</think>A"}}]})");
  stream->on_event(R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})");
  stream->on_event(R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}})");
  stream->on_event("[DONE]");
  CHECK(stream->finish().tokens.reasoning_unknown);
}

// An attempt that fails mid-stream is billed: what its stream told of its tokens is counted.
TEST_CASE("a stream cut off or ended by an error event tells the tokens it saw") {
  OpenAiWire openai(entry("openai"));
  ApiCall call = openai.generate_call(chat_request(), 1);
  auto s = openai.stream(call);
  s->on_event(R"({"choices":[{"delta":{"content":"a"}}]})");
  s->on_event(R"({"choices":[{"delta":{"content":"b"}}]})");
  bool usage = true;
  TokenCounts t = s->tokens_seen(&usage);  // cut before the usage chunk: 2 text chunks
  CHECK_FALSE(usage);
  CHECK(t.prompt == 0);
  CHECK(t.completion == 2);
  s->on_event(R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2}})");
  CHECK_THROWS_AS(s->on_event(R"({"error":{"message":"overloaded"}})"), ApiFormatError);
  t = s->tokens_seen(&usage);
  CHECK(usage);
  CHECK(t.prompt == 12);
  CHECK(t.completion == 2);

  AnthropicWire anthropic(entry("anthropic"));
  auto a = anthropic.stream(anthropic.generate_call(chat_request(), 1));
  a->on_event(
      R"({"type":"message_start","message":{"usage":{"input_tokens":10,"cache_read_input_tokens":64,"output_tokens":1}}})");
  a->on_event(
      R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");
  for (const char* piece : {"One", " two", " three"}) {
    a->on_event(
        std::string(
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")") +
        piece + "\"}}");
  }
  // The input is reported; the output count is still message_start's placeholder: the chunks.
  CHECK_THROWS_AS(
      a->on_event(R"({"type":"error","error":{"type":"overloaded_error","message":"busy"}})"),
      ApiFormatError);
  t = a->tokens_seen(&usage);
  CHECK(usage);
  CHECK(t.prompt == 74);
  CHECK(t.cached_prompt == 64);
  CHECK(t.completion == 3);
}

// n samples asked in separate calls (api.n_per_request false) all carried the document's seed: a
// seeded server (vLLM, llama.cpp) returns the same sample n times, so pass@k and majority votes
// saw one sample. Each call carries the seed plus its sample's index; the first the plain seed.
TEST_CASE("separate sample calls carry the seed plus the sample index") {
  OpenAiWire wire(entry("openai"));
  const Request r = chat_request();
  CHECK(wire.generate_call(r, 1, 0).body["seed"] == 0x7ffffff7);
  CHECK(wire.generate_call(r, 1, 1).body["seed"] == 0x7ffffff8);
  CHECK(wire.generate_call(r, 1, 9).body["seed"] == 0);  // 2^64 - 9 + 9 wraps to 0
}
