// Stop strings of one generation as its text grows, never inside its thinking, by common/thinking's
// rule as a server applies it: a `<think>` anywhere opens a span that ends at its balancing
// `</think>` (nested tags counted); a template-opened thinking (`starts_in_thinking`), or one the
// text closes with a `</think>` before any `<think>`, ends there. A stop string fires only when it
// lies wholly outside the thinking, so the engine cuts where the API client cuts the whole text
// (api_cut_at_stop). Each byte is looked at a bounded number of times (streaming).
#pragma once

#include <string>
#include <vector>

namespace moebench {

class StopScanner {
 public:
  StopScanner(std::vector<std::string> stops, bool starts_in_thinking);

  // The text grew to text.size() (`before` bytes were fed already; the text is the same text
  // growing). `last`: no more text follows, so a partial tag at its end is no tag. Returns where
  // the earliest stop string starts (the text is to be cut there), or npos.
  size_t feed(const std::string& text, size_t before, bool last = false);

  bool thinking() const { return depth_ > 0; }          // inside the thinking now
  bool closed_thinking() const { return closed_now_; }  // the last feed closed it
  // Bytes at the end of the text fed last that a stop string could still claim (held back from
  // streaming).
  size_t hold() const { return hold_; }

 private:
  // The earliest stop string lying in [from_, limit) that was not looked for yet, or npos.
  size_t find_stop(const std::string& text, size_t limit);

  std::vector<std::string> stops_;
  size_t longest_ = 0;       // the longest stop string's size
  int depth_ = 0;            // `<think>` spans open (1 for the template's)
  bool lone_close_ = false;  // a `</think>` now would close a thinking no tag opened
  bool closed_now_ = false;  // the last feed left the thinking
  size_t scanned_ = 0;       // tags are known up to here (a partial tag may follow)
  size_t from_ = 0;          // stop strings may start here (the end of the last thinking)
  size_t searched_ = 0;      // stop strings ending up to here were looked for
  size_t hold_ = 0;
};

}  // namespace moebench
