// Fuzz target: a `moebench serve` request body, as the /v1/chat/completions and /v1/completions
// handlers read it (backends/builtin/serve/server.cpp): JSON object, then serve_parse_request and
// serve_parse_messages. The handlers answer BadRequest and InputError with HTTP 400; anything else
// would be a 500. (serve_parse_prompts needs a model and is left out.)
#include <nlohmann/json.hpp>
#include <string>

#include "backends/builtin/serve/server_request.h"
#include "common/error.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json body =
      nlohmann::json::parse(moebench::fuzz::fuzz_text(data, size), nullptr, false);
  if (body.is_discarded() || !body.is_object()) return 0;
  for (bool chat : {true, false}) {
    try {
      moebench::serve_param<std::string>(body, "model", "fuzz");
      moebench::ServeRequest r = moebench::serve_parse_request(body, chat);
      r.choices();
      if (chat) moebench::serve_parse_messages(body);
    } catch (const moebench::BadRequest&) {
    } catch (const moebench::InputError&) {
    }
  }
  return 0;
}
