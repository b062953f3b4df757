// Fuzz target: the published-scores table (tasks/published_scores.json) through
// published_scores_parse. `moebench report` turns InputError into exit 2.
#include <string>

#include "common/error.h"
#include "reports/published_scores.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    moebench::published_scores_parse(std::string(reinterpret_cast<const char*>(data), size),
                                     "published_scores.json");
  } catch (const moebench::InputError&) {
  }
  return 0;
}
