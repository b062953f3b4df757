// host_describe / build_describe from uname, /proc and the CUDA runtime.
#include "harness/results/host_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#include "common/git_hash.h"
#include "common/version.h"
#include "kernels/device_info.h"

namespace moebench {
namespace {

std::string proc_field(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      auto v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "";
}

}  // namespace

nlohmann::json host_describe() {
  char name[256] = {0};
  gethostname(name, sizeof(name) - 1);
  struct utsname u {};
  uname(&u);
  nlohmann::json gpus = nlohmann::json::array();
  std::string reason;
  for (const GpuInfo& g : gpu_list(&reason)) {
    gpus.push_back({{"index", g.index},
                    {"name", g.name},
                    {"memory_bytes", g.memory_bytes},
                    {"sm_count", g.sm_count},
                    {"compute_capability", std::to_string(g.compute_capability_major) + "." +
                                               std::to_string(g.compute_capability_minor)}});
  }
  nlohmann::json j = {{"hostname", name},
                      {"os", std::string(u.sysname) + " " + u.release + " " + u.machine},
                      {"cpu", proc_field("/proc/cpuinfo", "model name")},
                      {"cores", std::thread::hardware_concurrency()},
                      {"memory", proc_field("/proc/meminfo", "MemTotal")},
                      {"gpus", gpus}};
  if (gpus.empty()) j["gpu_note"] = reason;
  return j;
}

nlohmann::json build_describe() {
  return {{"version", MOEBENCH_VERSION},
          {"git_hash", kMoebenchGitHash},
          {"compiler", __VERSION__},
#ifdef MOEBENCH_HAVE_CUDA
          {"cuda", true}
#else
          {"cuda", false}
#endif
  };
}

}  // namespace moebench
