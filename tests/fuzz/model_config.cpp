// Fuzz target: a checkpoint's config.json through model_config_load (family detection, every
// family's fields, validation), as BuiltinModel::open reads it.
#include "backends/builtin/checkpoint/model_config.h"

#include "common/error.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = moebench::fuzz::fuzz_write_file(data, size, "config.json");
  try {
    moebench::model_config_load(file);
  } catch (const moebench::InputError&) {
  }
  return 0;
}
