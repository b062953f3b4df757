// A CUDA stream per [gpu] test, so the launchers' stream argument is exercised rather than only
// the default stream, a CUDA graph captured from launches on it, and the visible skip of the
// sm_90a tests. CUDA builds only.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"

namespace moebench {

struct TestStream {
  cudaStream_t s = nullptr;
  TestStream() { CUDA_CHECK(cudaStreamCreate(&s)); }
  ~TestStream() { cudaStreamDestroy(s); }
  TestStream(const TestStream&) = delete;
  TestStream& operator=(const TestStream&) = delete;
  void sync() const { CUDA_CHECK(cudaStreamSynchronize(s)); }
};

// The launches `launch()` makes on stream s, captured (thread-local mode) into a graph and
// instantiated; replay() launches the graph on s. Not copyable.
class TestGraph {
 public:
  template <typename F>
  TestGraph(cudaStream_t s, F&& launch) : s_(s) {
    CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    launch();
    CUDA_CHECK(cudaStreamEndCapture(s, &graph_));
    CUDA_CHECK(cudaGraphInstantiate(&exec_, graph_, 0));
  }
  ~TestGraph() {
    if (exec_ != nullptr) cudaGraphExecDestroy(exec_);
    if (graph_ != nullptr) cudaGraphDestroy(graph_);
  }
  TestGraph(const TestGraph&) = delete;
  TestGraph& operator=(const TestGraph&) = delete;
  void replay() const { CUDA_CHECK(cudaGraphLaunch(exec_, s_)); }

 private:
  cudaStream_t s_ = nullptr;
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace moebench

// Visible skip unless `available` (a wgmma entry's *_available(): a Hopper GPU and a build with
// -DCMAKE_CUDA_ARCHITECTURES=90a); MOEBENCH_REQUIRE_GPU first. Needs tests/catch.h.
#define MOEBENCH_REQUIRE_WGMMA(available)                                                \
  do {                                                                                   \
    MOEBENCH_REQUIRE_GPU();                                                              \
    if (!(available)) {                                                                  \
      MOEBENCH_SKIP(                                                                     \
          "GPU test skipped: no sm_90a code for this device (build with "                \
          "-DCMAKE_CUDA_ARCHITECTURES=90a on a Hopper GPU, as scripts/device_bundle.sh " \
          "does)");                                                                      \
    }                                                                                    \
  } while (0)
