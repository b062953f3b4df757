// Engine selection: device string parsing and resolution, then the CPU or CUDA engine.
#include "backends/builtin/engine_select.h"

#include "backends/builtin/engine/cpu/engine_cpu.h"
#include "backends/builtin/engine/cuda/engine_cuda.h"
#include "common/error.h"
#include "common/host_memory.h"

namespace moebench {
namespace {

[[noreturn]] void bad_device(const std::string& device) {
  throw InputError("--device '" + device +
                   "': unknown device (expected auto, cpu, cuda or cuda:N)");
}

// The CPU engine converts every weight to f32 on the host; a model that cannot fit is refused
// before the first allocation (it ran until std::bad_alloc or the OOM killer).
void check_host_memory(const ModelConfig& config, const std::filesystem::path& dir) {
  const int64_t params = model_param_count(config);
  const uint64_t need = static_cast<uint64_t>(params) * sizeof(float);
  const std::optional<uint64_t> have = host_memory_available();
  if (!have || need <= *have) return;
  throw InputError(dir.string() + ": the CPU engine holds its " + std::to_string(params) +
                   " parameters as f32, " + format_gb(need) + ", and this host has " +
                   format_gb(*have) +
                   " available (MemAvailable, ulimit -v); use --device cuda or a smaller model");
}

}  // namespace

EngineDeviceSpec engine_device_parse(const std::string& device) {
  EngineDeviceSpec s;
  if (device == "auto") {
    s.is_auto = true;
  } else if (device == "cuda") {
    s.device.cuda = true;
  } else if (device.rfind("cuda:", 0) == 0) {
    const std::string n = device.substr(5);
    if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos) {
      bad_device(device);
    }
    s.device.cuda = true;
    s.device.ordinal = std::stoi(n);
  } else if (device != "cpu") {
    bad_device(device);
  }
  return s;
}

EngineDevice engine_device_resolve(const std::string& device) {
  EngineDeviceSpec s = engine_device_parse(device);
#ifdef MOEBENCH_HAVE_CUDA
  const bool available = cuda_engine_available();
  if (s.is_auto) s.device.cuda = available;
  if (s.device.cuda && !available) {
    throw InputError("--device " + device + ": no CUDA device found");
  }
#else
  if (s.device.cuda) throw InputError("--device " + device + ": this build has no CUDA");
#endif
  return s.device;
}

LoadedEngine engine_load(const ModelConfig& config, const std::filesystem::path& dir,
                         const EngineLoadOptions& options) {
  const EngineDevice d = engine_device_resolve(options.device);
  const bool separate = options.kernels == KernelSet::separate;
  if (!d.cuda && (!separate || options.programmatic_launch)) {
    throw InputError((separate ? std::string("pdl")
                               : std::string("kernels=") + kernel_set_name(options.kernels)) +
                     ": a CUDA engine option, and this load uses the CPU engine (device '" +
                     options.device + "')");
  }
  LoadedEngine out;
  if (d.cuda) {
#ifdef MOEBENCH_HAVE_CUDA
    // NOTE: no model_weights_load here: it converts every weight to f32 on the host (63 GB for
    // DeepSeek-V2-Lite); the CUDA engine reads the checkpoint straight to bf16 on the device.
    CudaEngineOptions o;
    o.device = d.ordinal;
    o.max_batch = options.max_batch;
    o.max_step_tokens = options.max_step_tokens;
    o.kernels = options.kernels;
    o.programmatic_launch = options.programmatic_launch;
    out.kv_page_tokens = o.page_size;
    out.engine = make_cuda_engine(config, dir, o);
#endif
    return out;
  }
  check_host_memory(config, dir);
  out.weights = std::make_unique<ModelWeights>(model_weights_load(dir, config));
  out.engine = std::make_unique<CpuEngine>(config, *out.weights, options.threads);
  return out;
}

}  // namespace moebench
