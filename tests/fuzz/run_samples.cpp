// Fuzz target: a run's samples.jsonl through run_load_samples (all suites, then one), as the
// report's sample pages and `moebench compare` read it.
#include "common/error.h"
#include "reports/run_load.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  moebench::fuzz::fuzz_write_file(data, size, "samples.jsonl");
  for (const char* suite : {"", "gsm8k"}) {
    try {
      moebench::run_load_samples(moebench::fuzz::fuzz_scratch_dir(), suite);
    } catch (const moebench::InputError&) {
    }
  }
  return 0;
}
