// Fuzz target: a gzip JSONL dataset file (HumanEval's layout) through loader_load, which inflates
// it with zlib and parses the lines.
#include "common/error.h"
#include "tasks/src/loaders.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = moebench::fuzz::fuzz_write_file(data, size, "data.jsonl.gz");
  try {
    moebench::loader_load(file, "jsonl.gz", false, {}, "");
  } catch (const moebench::InputError&) {
  }
  return 0;
}
