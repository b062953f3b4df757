// Fuzz target: a run's run.json through run_load_summary, as `moebench report`, compare and the
// leaderboard read every run under results/.
#include "common/error.h"
#include "reports/run_load.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  moebench::fuzz::fuzz_write_file(data, size, "run.json");
  try {
    moebench::run_load_summary(moebench::fuzz::fuzz_scratch_dir());
  } catch (const moebench::InputError&) {
  }
  return 0;
}
