// StopScanner: stop strings outside the thinking, as the text streams.
#include "backends/builtin/stop_scanner.h"

#include <algorithm>
#include <string_view>

#include "common/thinking.h"

namespace moebench {

StopScanner::StopScanner(std::vector<std::string> stops, bool starts_in_thinking)
    : stops_(std::move(stops)),
      depth_(starts_in_thinking ? 1 : 0),
      lone_close_(!starts_in_thinking) {
  for (const std::string& s : stops_) longest_ = std::max(longest_, s.size());
}

size_t StopScanner::find_stop(const std::string& text, size_t limit) {
  const std::string_view in = std::string_view(text).substr(0, limit);
  size_t best = std::string::npos;
  for (const std::string& s : stops_) {
    if (s.empty()) continue;
    const size_t start = std::max(from_, searched_ >= s.size() ? searched_ - s.size() + 1 : 0);
    const size_t at = in.find(s, start);
    if (at != std::string_view::npos) best = std::min(best, at);
  }
  searched_ = std::max(searched_, limit);
  return best;
}

size_t StopScanner::feed(const std::string& text, size_t /*before*/, bool last) {
  const std::string_view all(text);
  const size_t close_size = std::string_view(kThinkClose).size();
  closed_now_ = false;
  size_t stop = std::string::npos;
  for (size_t at = scanned_;;) {
    at = all.find('<', at);
    const int tag = at == std::string_view::npos ? 0 : thinking_tag_at(all, at);
    if (at == std::string_view::npos || (tag == 2 && !last)) {  // the end, or a partial tag
      scanned_ = at == std::string_view::npos ? text.size() : at;
      if (depth_ == 0) stop = find_stop(text, scanned_);
      break;
    }
    if (tag == 0 || tag == 2 || (tag == -1 && depth_ == 0 && !lone_close_)) {
      ++at;  // no tag, or a `</think>` outside the thinking once a tag was seen: text
      continue;
    }
    // Outside the thinking a stop string must end before the tag (one straddling it is cut by
    // neither the client nor the engine).
    if (depth_ == 0 && (stop = find_stop(text, at)) != std::string::npos) break;
    lone_close_ = false;
    depth_ += tag;  // a lone `</think>` takes 0 to -1: the template's thinking ended
    if (depth_ <= 0) {
      depth_ = 0;
      closed_now_ = true;
      from_ = searched_ = at + close_size;
    }
    at += tag == 1 ? std::string_view(kThinkOpen).size() : close_size;
  }
  // A stop string not found yet starts at or after from_ and ends after searched_.
  const size_t earliest = std::max(from_, searched_ + 1 > longest_ ? searched_ + 1 - longest_ : 0);
  hold_ = depth_ > 0 || longest_ == 0 || stop != std::string::npos
              ? 0
              : text.size() - std::min(text.size(), earliest);
  return stop;
}

}  // namespace moebench
