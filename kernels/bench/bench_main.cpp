// moebench-kernels' main: Google Benchmark's, with the GPU the gpu/ benchmarks run on in the
// JSON context ("gpu": device 0's name, "none" without one), so that reports and the nightly gate
// compare kernel times only with times measured on the same device.
#include <benchmark/benchmark.h>

#include "kernels/device_info.h"

int main(int argc, char** argv) {
  const std::vector<moebench::GpuInfo> gpus = moebench::gpu_list();
  benchmark::AddCustomContext("gpu", gpus.empty() ? "none" : gpus.front().name);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
