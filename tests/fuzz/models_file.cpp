// Fuzz target: the models file (backends/models.json layout) through models_file_load, then what
// the cost command and the API backend read from each entry: its price on a date and its JSON.
#include "backends/models_file.h"

#include "common/error.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = moebench::fuzz::fuzz_write_file(data, size, "models.json");
  try {
    const moebench::ModelsFile models = moebench::models_file_load(file.string());
    for (const moebench::ModelEntry& m : models.models) {
      m.to_json();
      models.at(m.name);
      for (const char* date : {"2024-01-01", "2025-06-15", "2099-12-31"}) {
        if (auto p = moebench::models_price_at(m, date)) {
          p->blended();
          p->to_backend_prices();
        }
      }
    }
  } catch (const moebench::InputError&) {
  }
  return 0;
}
