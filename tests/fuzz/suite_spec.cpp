// Fuzz target: a suite spec file (tasks/<area>/<suite>.json) through suite_read_spec, which
// validates every field and compiles every template. `moebench run/list` turn InputError into
// exit code 2; anything else escaping is a crash.
#include "common/error.h"
#include "tasks/suite.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = moebench::fuzz::fuzz_write_file(data, size, "spec.json");
  try {
    moebench::suite_read_spec(file);
  } catch (const moebench::InputError&) {
  }
  return 0;
}
