// Stop strings of one generation as its text grows, never inside its reasoning: a generation that
// opens with "<think>" (or whose prompt opened it) is only searched after the first "</think>".
#pragma once

#include <string>
#include <vector>

namespace moebench {

class StopScanner {
 public:
  StopScanner(std::vector<std::string> stops, bool starts_in_thinking);

  // The text grew from `before` bytes to text.size(). Returns where the earliest stop string
  // starts (the text is to be cut there), or npos.
  size_t feed(const std::string& text, size_t before);

  bool thinking() const { return thinking_; }           // inside the thinking span now
  bool closed_thinking() const { return closed_now_; }  // the last feed closed it
  // Bytes a stop string could still claim at the end of the text (held back from streaming).
  size_t hold() const { return hold_; }

 private:
  std::vector<std::string> stops_;
  size_t hold_ = 0;
  bool decided_ = false, thinking_ = false, closed_now_ = false;
  size_t answer_from_;  // npos until the answer part is known to start
};

}  // namespace moebench
