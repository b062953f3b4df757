// The body of the API response fuzz targets: what api_exchange.cpp does with a 200 response, whole
// (JSON parse, then the wire's parse) or streamed (SSE split, the wire's on_event per payload,
// then finish), and with an error body (error_message). ApiFormatError is how a wire reports a
// response that breaks its format; api_exchange turns it into a failed sample. Anything else
// escaping would leave the HTTP client's callback: a crash.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backends/api/api_wire.h"
#include "common/http_stream.h"
#include "tests/fuzz/fuzz_util.h"

namespace moebench::fuzz {

inline void fuzz_api_reply(const ApiWire& wire, const ApiCall& call, std::string_view bytes) {
  try {
    const nlohmann::json j = nlohmann::json::parse(bytes, nullptr, false);
    if (!j.is_discarded()) wire.parse(j, call);
  } catch (const ApiFormatError&) {
  }
  try {
    std::unique_ptr<ApiStream> stream = wire.stream(call);
    SseSplitter sse;
    sse.feed(bytes, [&](const std::string& event) { stream->on_event(event); });
    stream->finish();
  } catch (const ApiFormatError&) {
  }
  wire.error_message(std::string(bytes));
}

// A request with a system prompt, two turns and stops; `continuations` make it a scoring one.
inline Request fuzz_api_request() {
  Request r;
  r.suite = "gsm8k";
  r.doc_id = "test/0";
  r.prompt = "Question: 2+2?\nAnswer:";
  r.messages = {{"system", "Be brief."}, {"user", "2+2?"}};
  r.generation.stop = {"\n\n", "Question:"};
  r.generation.max_tokens = 16;
  return r;
}

}  // namespace moebench::fuzz
