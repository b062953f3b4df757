// Fuzz target: a Google Benchmark JSON file through bench_load_run, then compared with itself and
// rendered as the Markdown table `moebench report --bench` writes.
#include "common/error.h"
#include "reports/bench_history.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = moebench::fuzz::fuzz_write_file(data, size, "bench.json");
  try {
    const moebench::BenchRun run = moebench::bench_load_run(file);
    const auto deltas = moebench::bench_compare(run, run, 0.05, 0.05);
    moebench::bench_compare_markdown(run, run, deltas, 0.05, 0.05);
  } catch (const moebench::InputError&) {
  }
  return 0;
}
