// json_read_file: open, read whole, parse; each failure one InputError line.
#include "common/json_file.h"

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/json_error.h"

namespace moebench {

nlohmann::json json_read_file(const std::filesystem::path& path, const std::string& where,
                              const std::string& cannot_open, const std::string& malformed) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(where, cannot_open);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range.406 for 1e999
    throw input_error(
        where, malformed.empty() ? "malformed JSON (" + json_error_reason(e) + ")" : malformed);
  }
}

}  // namespace moebench
