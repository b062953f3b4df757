// Fuzz target: the GAOKAO-Bench JSON loader ({"keywords", "example": [...]}).
#include "common/error.h"
#include "tasks/src/loaders.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    moebench::loader_parse_gaokao(moebench::fuzz::fuzz_text(data, size), "fuzz.json");
  } catch (const moebench::InputError&) {
  }
  return 0;
}
