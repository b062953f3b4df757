// json_read_file: open, read whole, parse; each failure one InputError line.
#include "common/json_file.h"

#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "common/error.h"
#include "common/json_error.h"

namespace moebench {

namespace {

using nlohmann::json;

// Tracks where the parser is (a frame per open object or array) to refuse a key an object holds
// twice, which nlohmann::json would keep silently with its last value.
class DuplicateKeys {
 public:
  explicit DuplicateKeys(const std::string& where) : where_(where) {}

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    using E = json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        next_element();
        frames_.push_back({event == E::array_start, {}, {}, -1});
        break;
      case E::object_end:
      case E::array_end:
        frames_.pop_back();
        break;
      case E::key:
        if (!frames_.back().keys.insert(parsed.get<std::string>()).second) {
          frames_.back().key = parsed.get<std::string>();
          throw input_error(where_, "field '" + path() + "' appears twice");
        }
        frames_.back().key = parsed.get<std::string>();
        break;
      case E::value:
        next_element();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool array;
    std::set<std::string> keys;
    std::string key;  // the object's current key
    long index;       // the array's current element
  };

  void next_element() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }

  std::string path() const {
    std::string p;
    for (const Frame& f : frames_) {
      if (f.array) {
        p += "[" + std::to_string(f.index) + "]";
      } else {
        p += (p.empty() ? "" : ".") + f.key;
      }
    }
    return p;
  }

  const std::string& where_;
  std::vector<Frame> frames_;
};

}  // namespace

nlohmann::json json_read_file(const std::filesystem::path& path, const std::string& where,
                              const std::string& cannot_open, const std::string& malformed,
                              JsonDuplicateKeys duplicates) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(where, cannot_open);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    if (duplicates == JsonDuplicateKeys::keep_last) return nlohmann::json::parse(text.str());
    return nlohmann::json::parse(text.str(), DuplicateKeys(where));
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range.406 for 1e999
    throw input_error(
        where, malformed.empty() ? "malformed JSON (" + json_error_reason(e) + ")" : malformed);
  }
}

}  // namespace moebench
