// Fuzz target: OpenAI-format response bodies and streams (Chat Completions with n = 2, Completions,
// and the echo + logprobs scoring call), as the API backend reads them for OpenAI, DeepSeek and
// OpenAI-compatible servers.
#include "backends/api/api_openai.h"
#include "tests/fuzz/api_response.h"

namespace {

moebench::ModelEntry model(const char* endpoint) {
  moebench::ModelEntry m;
  m.name = "fuzz";
  m.provider = "openai-compatible";
  m.base_url = "http://127.0.0.1:1/v1";
  m.model = "fuzz-model";
  m.api.endpoint = endpoint;
  m.api.prompt_logprobs = true;
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const moebench::OpenAiWire chat(model("chat")), completions(model("completions"));
  static const moebench::Request request = moebench::fuzz::fuzz_api_request();
  static const moebench::ApiCall chat_call = chat.generate_call(request, 2);
  static const moebench::ApiCall text_call = [] {
    moebench::Request r = moebench::fuzz::fuzz_api_request();
    r.messages.clear();
    return completions.generate_call(r, 1);
  }();
  static const moebench::ApiCall loglik_call = [] {
    moebench::Request r = moebench::fuzz::fuzz_api_request();
    r.continuations = {" 4", " five \xe2\x82\xac"};
    return completions.loglik_call(r);
  }();
  const std::string_view bytes = moebench::fuzz::fuzz_text(data, size);
  moebench::fuzz::fuzz_api_reply(chat, chat_call, bytes);
  moebench::fuzz::fuzz_api_reply(completions, text_call, bytes);
  moebench::fuzz::fuzz_api_reply(completions, loglik_call, bytes);
  return 0;
}
