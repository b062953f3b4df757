// Fuzz target: the server-sent-event splitter the API backends and loadgen read streams with.
// The bytes are fed whole and then in pieces whose sizes come from the input's first byte; both
// must give the same events (a network read may cut the stream anywhere).
#include <cstdlib>
#include <string>
#include <vector>

#include "common/http_stream.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

std::vector<std::string> split(std::string_view bytes, size_t piece, bool* pending) {
  std::vector<std::string> events;
  moebench::SseSplitter sse;
  for (size_t at = 0; at < bytes.size(); at += piece) {
    sse.feed(bytes.substr(at, piece), [&](const std::string& e) { events.push_back(e); });
  }
  *pending = sse.pending();
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 17;
  const std::string_view bytes = moebench::fuzz::fuzz_text(data + 1, size - 1);
  bool whole_pending = false, pieces_pending = false;
  const auto whole = split(bytes, bytes.size() + 1, &whole_pending);
  const auto pieces = split(bytes, piece, &pieces_pending);
  if (whole != pieces || whole_pending != pieces_pending) std::abort();
  return 0;
}
