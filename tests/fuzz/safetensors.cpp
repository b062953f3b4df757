// Fuzz target: a .safetensors file through SafetensorsFile::open (the 8-byte length, the JSON
// header, dtypes, shapes and offsets) and then every tensor read back as f32, as the checkpoint
// loader does.
#include "backends/builtin/checkpoint/safetensors.h"

#include "common/error.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = moebench::fuzz::fuzz_write_file(data, size, "model.safetensors");
  try {
    auto st = moebench::SafetensorsFile::open(file);
    for (const moebench::StTensorInfo& t : st->tensors()) {
      st->find(t.name);
      t.shape_str();
      st->read_f32(t);
    }
  } catch (const moebench::InputError&) {
  }
  return 0;
}
