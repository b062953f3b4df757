// Fuzz target: the JSONL dataset loader (loader_parse_jsonl), as SuiteInstance::open calls it.
#include "common/error.h"
#include "tasks/src/loaders.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    moebench::loader_parse_jsonl(moebench::fuzz::fuzz_text(data, size), "fuzz.jsonl");
  } catch (const moebench::InputError&) {
  }
  return 0;
}
