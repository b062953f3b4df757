// LoadgenClient: a loadgen prompt as an OpenAI call through api_attempt, and the attempt's
// outcome as a request record.
#include "harness/loadgen/loadgen_client.h"

#include <httplib.h>

#include "common/clock.h"
#include "common/http_stream.h"

namespace moebench {
namespace {

// The OpenAI format's view of the target: an openai-compatible server that is sent no seed.
ModelEntry loadgen_model(const LoadgenTarget& target) {
  ModelEntry m;
  m.name = "loadgen";
  m.provider = "openai-compatible";
  m.base_url = target.base_url;
  m.model = target.model;
  m.api.endpoint = target.chat ? "chat" : "completions";
  m.api.stream = true;
  m.api.omit = {"seed"};
  return m;
}

ModelTransport loadgen_transport(const LoadgenTarget& target) {
  ModelTransport t;
  t.read_timeout_s = target.timeout_s;
  t.total_timeout_s = target.timeout_s;
  t.max_retries = 0;  // a benchmark times single attempts
  return t;
}

ApiEndpoint loadgen_endpoint(const LoadgenTarget& target) {
  ApiEndpoint e;
  http_split_url(target.base_url, "--base-url", &e.scheme_host_port, &e.prefix);
  return e;
}

}  // namespace

ApiCall LoadgenClient::call(const LoadgenPrompt& prompt) const {
  Request r;
  r.prompt = prompt.text;
  // NOTE: the completions form sends the text; a suite's chat turns are for the chat form only.
  if (target_.chat) r.messages = prompt.messages;
  r.generation.max_tokens = prompt.max_tokens;
  r.generation.temperature = 0;
  ApiCall call = wire_.generate_call(r, 1);
  // NOTE: vLLM, SGLang and moebench serve honour ignore_eos, so every request decodes max_tokens;
  // servers that do not know the field (OpenAI-compatible proxies) ignore it.
  if (target_.ignore_eos) call.body["ignore_eos"] = true;
  return call;
}

LoadgenClient::LoadgenClient(const LoadgenTarget& target)
    : target_(target),
      transport_(loadgen_transport(target)),
      wire_(loadgen_model(target)),
      pool_(loadgen_endpoint(target), transport_) {}

RequestRecord LoadgenClient::send(const LoadgenPrompt& prompt, int index,
                                  std::chrono::steady_clock::time_point run_start) {
  RequestRecord rec;
  rec.index = index;
  rec.max_tokens = prompt.max_tokens;
  rec.prompt = prompt.messages.empty() ? prompt.text : prompt.messages.back().content;
  const ApiCall c = call(prompt);
  std::unique_ptr<httplib::Client> client = pool_.take();
  rec.send_s = seconds_since(run_start);
  AttemptResult a = api_attempt(*client, pool_.endpoint(), wire_, c, transport_, target_.api_key);
  if (a.connection_ok) pool_.give_back(std::move(client));
  rec.e2el_s = a.total_s;
  if (!a.reply) {
    rec.error_type = error_type_name(a.failure.type);
    rec.error_message = a.failure.message;
    return rec;
  }
  const ApiReply& reply = *a.reply;
  if (reply.texts[0].empty() && (reply.reasoning.empty() || reply.reasoning[0].empty())) {
    rec.error_type = error_type_name(ErrorType::no_output);
    rec.error_message = "the stream held no text, so the request has no TTFT";
    return rec;
  }
  rec.ok = true;
  rec.ttft_s = a.ttft_s;
  rec.itl_s = std::move(a.itl_s);
  if (!reply.reasoning.empty()) rec.output_text = reply.reasoning[0];
  rec.output_text += reply.texts[0];
  // Without a usage chunk the wire counts text chunks and no prompt; loadgen_run counts tokens
  // with --tokenizer, where it has one.
  rec.token_source = reply.usage ? TokenSource::usage : TokenSource::chunks;
  rec.input_tokens = reply.tokens.prompt;
  rec.output_tokens = reply.tokens.completion;
  return rec;
}

}  // namespace moebench
