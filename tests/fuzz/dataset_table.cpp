// Fuzz target: the dataset source table (tasks/datasets.json) through dataset_table_read, then
// what data fetch and list read from it: each dataset's sizes, lookups, and its presence in an
// empty data dir.
#include "common/error.h"
#include "tasks/dataset_table.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = moebench::fuzz::fuzz_write_file(data, size, "datasets.json");
  try {
    const moebench::DatasetTable table = moebench::dataset_table_read(file);
    for (const auto& [name, d] : table.datasets) {
      d.bytes();
      d.file_count();
      table.find(name);
      moebench::dataset_presence(d, file.parent_path() / "no-data-here");
    }
    table.find("no-such-dataset");
  } catch (const moebench::InputError&) {
  }
  return 0;
}
