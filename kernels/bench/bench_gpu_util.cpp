// Device state, ceilings, L2 flush, counters and sampled GEMM checks of the "gpu/" benchmarks.
#include "kernels/bench/bench_gpu_util.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <sstream>

#include "kernels/bench/bench_util.h"
#include "kernels/device_limits.h"
#include "kernels/random_init.h"

namespace moebench {

namespace {

// NOTE: created on first use and never destroyed: the CUDA runtime may already be torn down when
// static destructors run at exit.
BenchGpu* bench_gpu_state = nullptr;

bool bench_gpu_probe() {
  static const bool ok = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
      cudaGetLastError();  // clear the probe's error so no later call reports it
      return false;
    }
    return true;
  }();
  return ok;
}

}  // namespace

bool bench_gpu_ready(benchmark::State& state) {
  if (!bench_gpu_probe()) {
    state.SkipWithError("no CUDA device");
    return false;
  }
  try {
    bench_gpu();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return false;
  }
  return true;
}

bool bench_gpu_first_launch(benchmark::State& state, const std::function<void()>& launch) {
  try {
    launch();
    CUDA_CHECK(cudaStreamSynchronize(bench_gpu().stream));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return false;
  }
  return true;
}

BenchGpu& bench_gpu() {
  if (bench_gpu_state == nullptr) {
    auto g = std::make_unique<BenchGpu>();
    CUDA_CHECK(cudaStreamCreate(&g->stream));
    CUDA_CHECK(cudaEventCreate(&g->start));
    CUDA_CHECK(cudaEventCreate(&g->stop));
    int device = 0, l2 = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device));
    g->flush_bytes = std::max(2 * static_cast<size_t>(l2), kBenchMinFlushBytes);
    CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&g->flush), g->flush_bytes));
    g->cublas = new CublasContext();
    bench_gpu_state = g.release();
  }
  return *bench_gpu_state;
}

bool bench_gpu_check_due(const std::string& key) {
  static std::set<std::string> done;
  return done.insert(key).second;
}

double bench_gpu_copy_ceiling() {
  static const double bw = measure_copy_bandwidth();
  return bw;
}

double bench_gpu_gemm_ceiling() {
  static const double flops = measure_gemm_flops(*bench_gpu().cublas);
  return flops;
}

void bench_gpu_flush_l2() {
  BenchGpu& g = bench_gpu();
  static int value = 0;
  value ^= 1;  // NOTE: alternate the byte so no layer can skip an unchanged fill
  CUDA_CHECK(cudaMemsetAsync(g.flush, value, g.flush_bytes, g.stream));
}

void bench_gpu_set_counters(benchmark::State& state, double bytes, double flops, double seconds) {
  if (seconds <= 0 || state.iterations() == 0) return;
  const double per_s = static_cast<double>(state.iterations()) / seconds;
  if (bytes > 0) {
    state.counters["GB_per_s"] = bytes * per_s * 1e-9;
    state.counters["pct_copy_bw"] = 100.0 * bytes * per_s / bench_gpu_copy_ceiling();
  }
  if (flops > 0) {
    state.counters["TFLOP_per_s"] = flops * per_s * 1e-12;
    state.counters["pct_gemm_flops"] = 100.0 * flops * per_s / bench_gpu_gemm_ceiling();
  }
}

DeviceBuffer<bf16_bits> bench_gpu_random(int64_t n, uint64_t key, double std_dev) {
  DeviceBuffer<bf16_bits> buf(static_cast<size_t>(n));
  cuda_random_init(buf.data(), n, kRandomInitNormal, key, std_dev, bench_gpu().stream);
  CUDA_CHECK(cudaStreamSynchronize(bench_gpu().stream));
  return buf;
}

std::vector<float> bench_gpu_download(const bf16_bits* p, int64_t count) {
  std::vector<bf16_bits> host(static_cast<size_t>(count));
  CUDA_CHECK(cudaMemcpy(host.data(), p, count * sizeof(bf16_bits), cudaMemcpyDeviceToHost));
  return bf16_to_f32(host);
}

int bench_gpu_register(const std::string& name, void (*fn)(benchmark::State&, bool, int),
                       BenchApplyFn apply, bool with_cold, int shape) {
  const std::string base =
      "gpu/" + name + (shape >= 0 ? std::string("/") + kBenchMoeShapes[shape].name : "");
  apply(bench_gpu_register_fn(base + "/hot", fn, false, shape));
  if (with_cold) apply(bench_gpu_register_fn(base + "/cold", fn, true, shape));
  return 0;
}

std::string bench_gpu_check_samples(const std::vector<BenchGemmSample>& samples, int64_t k) {
  double worst = 0;
  std::ostringstream os;
  for (size_t i = 0; i < samples.size(); ++i) {
    const std::vector<float> a = bench_gpu_download(samples[i].a_row, k);
    const std::vector<float> b = bench_gpu_download(samples[i].b_row, k);
    const float got = bench_gpu_download(samples[i].c, 1)[0];
    double want = 0, sq = 0;
    for (int64_t j = 0; j < k; ++j) {
      const double p = static_cast<double>(a[j]) * b[j];
      want += p;
      sq += p * p;
    }
    // NOTE: the bf16 output alone is off by up to 2^-8 relative; the atol scales with the sum's
    // natural size sqrt(sum p^2) so cancellation near zero does not fail a correct kernel.
    const double tol = 2e-2 * std::abs(want) + 2e-2 * std::sqrt(sq);
    const double excess = std::isfinite(got) ? std::abs(got - want) - tol : INFINITY;
    if (excess > worst) {
      worst = excess;
      os.str("");
      os << "GEMM sample " << i << ": got " << got << ", want " << want << " (tol " << tol << ")";
    }
  }
  return worst > 0 ? os.str() : std::string();
}

}  // namespace moebench
