// Fuzz target: the nightly config (nightly/nightly.json layout) through nightly_config_read, then
// the entry lookup the --entry flag does.
#include "common/error.h"
#include "harness/cli/nightly_config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = moebench::fuzz::fuzz_write_file(data, size, "nightly.json");
  try {
    const moebench::NightlyConfig c =
        moebench::nightly_config_read(file, {"moebench-kernels", "--benchmark_format=json"});
    for (const moebench::NightlyEntry& e : c.entries) c.entry(e.name);
    c.entry("no-such-entry");
  } catch (const moebench::InputError&) {
  }
  return 0;
}
