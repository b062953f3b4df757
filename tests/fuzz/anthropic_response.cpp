// Fuzz target: Anthropic Messages response bodies and event streams (message_start,
// content_block_delta with text and thinking, message_delta usage, error events).
#include "backends/api/api_anthropic.h"
#include "tests/fuzz/api_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const moebench::AnthropicWire wire = [] {
    moebench::ModelEntry m;
    m.name = "fuzz";
    m.provider = "anthropic";
    m.base_url = "http://127.0.0.1:1/v1";
    m.model = "claude-fuzz";
    return moebench::AnthropicWire(m);
  }();
  static const moebench::ApiCall call = wire.generate_call(moebench::fuzz::fuzz_api_request(), 1);
  moebench::fuzz::fuzz_api_reply(wire, call, moebench::fuzz::fuzz_text(data, size));
  return 0;
}
