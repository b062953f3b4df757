// StopScanner: stop strings after the thinking span.
#include "backends/builtin/stop_scanner.h"

#include <algorithm>
#include <string_view>

#include "common/thinking.h"

namespace moebench {
namespace {

bool ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

StopScanner::StopScanner(std::vector<std::string> stops, bool starts_in_thinking)
    : stops_(std::move(stops)),
      decided_(starts_in_thinking),
      thinking_(starts_in_thinking),
      answer_from_(std::string::npos) {
  for (const std::string& s : stops_) hold_ = std::max(hold_, s.size());
  hold_ = hold_ > 0 ? hold_ - 1 : 0;
}

size_t StopScanner::feed(const std::string& text, size_t before) {
  const std::string_view open(kThinkOpen), close(kThinkClose);
  closed_now_ = false;
  size_t from = before;  // where new stop strings may end after
  if (!decided_) {
    size_t lead = 0;
    while (lead < text.size() && ascii_space(text[lead])) ++lead;
    const std::string_view rest(text.data() + lead, text.size() - lead);
    if (rest.empty() || (rest.size() < open.size() && open.substr(0, rest.size()) == rest)) {
      return std::string::npos;  // could still open a thinking span
    }
    decided_ = true;
    thinking_ = rest.substr(0, open.size()) == open;
    if (!thinking_) answer_from_ = 0;
    from = 0;
  }
  if (thinking_) {
    const size_t p = text.find(close, before > close.size() ? before - close.size() : 0);
    if (p == std::string::npos) return std::string::npos;  // never inside the thinking
    thinking_ = false;
    closed_now_ = true;
    answer_from_ = p + close.size();
    from = answer_from_;
  }
  size_t best = std::string::npos;
  for (const std::string& s : stops_) {
    if (s.empty()) continue;
    const size_t start = std::max(answer_from_, from > s.size() ? from - s.size() : 0);
    const size_t p = text.find(s, start);
    if (p != std::string::npos) best = std::min(best, p);
  }
  return best;
}

}  // namespace moebench
