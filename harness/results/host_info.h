// The machine a run happened on, for run.json: host, OS, CPU, memory, GPUs, moebench build.
#pragma once

#include <nlohmann/json.hpp>

namespace moebench {

nlohmann::json host_describe();
nlohmann::json build_describe();  // moebench version, git hash, compiler, CUDA on/off

}  // namespace moebench
