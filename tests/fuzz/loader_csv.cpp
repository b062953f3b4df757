// Fuzz target: the RFC 4180 CSV loader, with a header row (C-Eval) and with the spec's column
// names (MMLU, CMMLU).
#include "common/error.h"
#include "tasks/src/loaders.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = moebench::fuzz::fuzz_text(data, size);
  try {
    moebench::loader_parse_csv(text, "fuzz.csv", true, {});
  } catch (const moebench::InputError&) {
  }
  try {
    moebench::loader_parse_csv(text, "fuzz.csv", false, {"question", "A", "B", "C", "D", "answer"});
  } catch (const moebench::InputError&) {
  }
  return 0;
}
