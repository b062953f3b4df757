// `moebench serve <dir>`: load a built-in checkpoint and serve it over the OpenAI API.
#include <algorithm>
#include <cstdio>

#include "backends/builtin/server.h"
#include "harness/cli/cli_common.h"
#include "harness/runner/interrupt.h"

namespace moebench {

int cli_serve(const std::string& dir, const ServeOptions& options) {
  BuiltinLoadOptions load;
  load.threads = options.threads;
  load.device = options.device;
  load.limits.max_active = options.max_batch;
  load.limits.max_step_tokens = std::max(load.limits.max_step_tokens, options.max_batch);
  std::unique_ptr<BuiltinModel> model = BuiltinModel::load(dir, load);
  const std::string name = options.model_name.empty() ? model->name() : options.model_name;
  serve_model(
      *model, options,
      [&](int port) {
        std::printf("moebench serve: model '%s' (%s, %s) on http://%s:%d/v1\n", name.c_str(),
                    model_family_name(model->config().family), model->device_name().c_str(),
                    options.host.c_str(), port);
        std::fflush(stdout);
      },
      [] { return interrupt_requested(); });
  std::printf("moebench serve: stopped\n");
  return kExitOk;
}

}  // namespace moebench
