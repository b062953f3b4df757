// Engine selection: the `--device` string (auto | cpu | cuda | cuda:N) to a loaded Engine, on the
// CPU (weights converted to f32 on the host) or on a CUDA GPU (weights loaded straight to it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/checkpoint/model_weights.h"
#include "backends/builtin/engine/engine.h"
#include "backends/builtin/engine/kernel_set.h"

namespace moebench {

struct EngineDevice {
  bool cuda = false;
  int ordinal = 0;  // CUDA device ordinal
};

// A parsed device string; "auto" is decided by engine_device_resolve.
struct EngineDeviceSpec {
  bool is_auto = false;
  EngineDevice device;
};
// Checks the syntax only (touches no GPU): "auto" | "cpu" | "cuda" | "cuda:N", else InputError.
EngineDeviceSpec engine_device_parse(const std::string& device);

// Resolves a device string: auto = the first CUDA device when this build has CUDA and a device
// is present, else the CPU. InputError for "cuda..." when this build has no CUDA or no device.
EngineDevice engine_device_resolve(const std::string& device);

struct EngineLoadOptions {
  std::string device = "auto";
  int threads = 0;             // CPU engine threads, 0 = all cores
  int max_batch = 64;          // CUDA: sequences per forward (CudaEngineOptions::max_batch)
  int max_step_tokens = 8192;  // CUDA: tokens per forward (CudaEngineOptions::max_step_tokens)
  KernelSet kernels = KernelSet::separate;  // CUDA: CudaEngineOptions::kernels
  bool programmatic_launch = false;         // CUDA: CudaEngineOptions::programmatic_launch
};

// An engine with what it borrows: the CPU engine reads host weights that must outlive it (null on
// CUDA, whose engine owns its device copy). Members are destroyed engine first.
struct LoadedEngine {
  std::unique_ptr<ModelWeights> weights;
  std::unique_ptr<Engine> engine;
  int kv_page_tokens = 1;  // KV allocation granule: a sequence may hold up to this minus 1 extra
};

LoadedEngine engine_load(const ModelConfig& config, const std::filesystem::path& dir,
                         const EngineLoadOptions& options);

}  // namespace moebench
