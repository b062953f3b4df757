// `moebench serve`: an OpenAI-compatible HTTP server (cpp-httplib) for a built-in checkpoint:
// /v1/models, /v1/chat/completions and /v1/completions, with server-sent-event streaming.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "backends/builtin/builtin_model.h"

namespace moebench {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                          // 0 = any free port (printed)
  int max_batch = 16;                       // requests decoded together
  int threads = 0;                          // CPU engine threads
  std::string device = "auto";              // auto | cpu | cuda | cuda:N
  std::string model_name;                   // the id clients send; default: the directory name
  KernelSet kernels = KernelSet::separate;  // CUDA engine: --kernels
  bool programmatic_launch = false;         // CUDA engine: --pdl
  bool overlap = false;  // each decode step started before the last one's ids are read: --overlap
  // Tests: called on the engine thread with each generation's result as it ends, after its
  // request was told (what a cancelled choice still generated, the engine held at a failure).
  std::function<void(const GenerateResult&)> on_generation_end;
};

// Blocks serving until stop_server() (or SIGINT/SIGTERM through `should_stop`, polled). Calls
// `on_listening(port)` once the socket is bound.
void serve_model(BuiltinModel& model, const ServeOptions& options,
                 const std::function<void(int)>& on_listening,
                 const std::function<bool()>& should_stop);

}  // namespace moebench
