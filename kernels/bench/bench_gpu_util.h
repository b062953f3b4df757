// Plumbing of the "gpu/" benchmarks (CUDA builds only): the process's device state (stream, cuBLAS
// context, L2 flush buffer, the measured ceilings, taken once), event-timed iterations with
// optional cold L2, the rate counters as % of ceiling, and sampled GEMM checks.
#pragma once

#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#include "kernels/gemm.h"

namespace moebench {

// The L2 flush: twice the device's L2 (read off the device), at least this much, so a memset
// through it evicts every line. NOTE: a cold iteration's wall time is mostly this memset.
constexpr size_t kBenchMinFlushBytes = size_t{64} << 20;

struct BenchGpu {
  cudaStream_t stream = nullptr;
  CublasContext* cublas = nullptr;  // created on first use, kept for the process
  uint8_t* flush = nullptr;         // (flush_bytes) device
  size_t flush_bytes = 0;
  cudaEvent_t start = nullptr, stop = nullptr;
};

// False (and the benchmark skipped with "no CUDA device", visibly) when no device is usable.
bool bench_gpu_ready(benchmark::State& state);
// Runs `launch` once and waits for it: a bad argument or a failed launch becomes the benchmark's
// visible error (SkipWithError) and false, instead of an exception out of the benchmark.
bool bench_gpu_first_launch(benchmark::State& state, const std::function<void()>& launch);
// The process's device state; call only after bench_gpu_ready returned true.
BenchGpu& bench_gpu();

// Measured once per process (kernels/device_limits.h): copy bytes/s (read + write), bf16 FLOP/s.
double bench_gpu_copy_ceiling();
double bench_gpu_gemm_ceiling();

// Evicts L2 with a memset of the flush buffer on the benchmark stream (outside any timed region).
void bench_gpu_flush_l2();

// Seconds of one launch of fn on the benchmark stream, by events.
template <typename Fn>
double bench_gpu_time_once(Fn&& fn) {
  BenchGpu& g = bench_gpu();
  CUDA_CHECK(cudaEventRecord(g.start, g.stream));
  fn();
  CUDA_CHECK(cudaEventRecord(g.stop, g.stream));
  CUDA_CHECK(cudaEventSynchronize(g.stop));
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, g.start, g.stop));
  return ms * 1e-3;
}

// Times fn per iteration (state.SetIterationTime; register with UseManualTime()) after three
// warm-up launches; cold = flush L2 before each iteration, untimed. Sets the counters for
// `bytes` and `flops` moved per launch. Returns false after SkipWithError on a CUDA failure.
template <typename Fn>
bool bench_gpu_run(benchmark::State& state, bool cold, double bytes, double flops, Fn&& fn);

// GB/s, TFLOP/s and % of the measured ceilings from bytes and flops per launch and the summed event
// time. NOTE: computed from the event time, not with Counter::kIsRate, which divides by the
// host CPU time of the loop (flushes and syncs included).
void bench_gpu_set_counters(benchmark::State& state, double bytes, double flops, double seconds);

template <typename Fn>
bool bench_gpu_run(benchmark::State& state, bool cold, double bytes, double flops, Fn&& fn) {
  try {
    for (int i = 0; i < 3; ++i) fn();
    CUDA_CHECK(cudaStreamSynchronize(bench_gpu().stream));
    double total = 0;
    for (auto _ : state) {
      if (cold) bench_gpu_flush_l2();
      const double s = bench_gpu_time_once(fn);
      state.SetIterationTime(s);
      total += s;
    }
    bench_gpu_set_counters(state, bytes, flops, total);
    return true;
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return false;
  }
}

// True the first time `key` is seen in this process. NOTE: Google Benchmark calls a benchmark
// function several times (iteration estimate, repetitions); the CPU reference check runs once.
bool bench_gpu_check_due(const std::string& key);

// Device bf16 buffer of n values, normal(0, std_dev) from the model-init generator (no host copy).
DeviceBuffer<bf16_bits> bench_gpu_random(int64_t n, uint64_t key, double std_dev);

// Host copy of `count` bf16 values starting at device p, as f32.
std::vector<float> bench_gpu_download(const bf16_bits* p, int64_t count);

// One sampled element of a GEMM check: c[row][col] against the dot of a's row and b's row.
struct BenchGemmSample {
  const bf16_bits* a_row;  // device, k values
  const bf16_bits* b_row;  // device, k values (weight row = output column)
  const bf16_bits* c;      // device, the one output element
};

// Empty when each sample's output is within rtol 2e-2 (+ atol 2e-2 * rms of the products) of the
// double dot product of its rows, else a one-line message naming the worst sample.
std::string bench_gpu_check_samples(const std::vector<BenchGemmSample>& samples, int64_t k);

// Registers fn(state, args...) as `name`, timed manually in microseconds. A thrown error (a
// launcher's argument check, an out-of-memory cudaMalloc) becomes state.SkipWithError, so one
// failing case is reported and the process goes on to the next.
template <typename... Args>
benchmark::internal::Benchmark* bench_gpu_register_fn(const std::string& name,
                                                      void (*fn)(benchmark::State&, Args...),
                                                      std::type_identity_t<Args>... args) {
  auto* b = benchmark::RegisterBenchmark(name.c_str(), [fn, args...](benchmark::State& st) {
    try {
      fn(st, args...);
    } catch (const std::exception& e) {
      st.SkipWithError(e.what());
    }
  });
  return b->UseManualTime()->Unit(benchmark::kMicrosecond);
}

// Registers "<prefix>/fused" and "<prefix>/separate" as fn(state, args..., true / false), over
// `tokens` (decode's batch sizes 1, 16 and 64 by default): a fused launch beside the launches it
// replaces.
template <typename Fn, typename... Args>
void bench_gpu_register_fused_pair_at(const std::string& prefix,
                                      std::initializer_list<int64_t> tokens, Fn fn, Args... args) {
  for (bool fused : {true, false}) {
    auto* b = bench_gpu_register_fn(prefix + (fused ? "/fused" : "/separate"), fn, args..., fused)
                  ->ArgName("tokens");
    for (int64_t t : tokens) b->Arg(t);
  }
}
template <typename Fn, typename... Args>
void bench_gpu_register_fused_pair(const std::string& prefix, Fn fn, Args... args) {
  bench_gpu_register_fused_pair_at(prefix, {1, 16, 64}, fn, args...);
}

// Registers fn(state, cold, shape) as "gpu/<name>[/<model>]/hot" and, for memory-bound kernels,
// ".../cold", with args from apply. shape indexes kBenchMoeShapes (-1: none). Returns a value so
// a namespace-scope static can run it at start-up.
using BenchApplyFn = void (*)(benchmark::internal::Benchmark*);
int bench_gpu_register(const std::string& name, void (*fn)(benchmark::State&, bool, int),
                       BenchApplyFn apply, bool with_cold, int shape = -1);

}  // namespace moebench
