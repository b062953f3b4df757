// `moebench serve <dir>`: load a built-in checkpoint and serve it over the OpenAI API.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "backends/builtin/engine_select.h"
#include "backends/builtin/serve/server.h"
#include "harness/cli/cli_checks.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"
#include "harness/runner/interrupt.h"

namespace moebench {
namespace {

// `host` as a URL's host: an IPv6 literal in brackets (RFC 3986), so that the printed URL can be
// pasted into --base-url or curl.
std::string url_host(const std::string& host) {
  return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

int serve(const std::string& dir, const ServeOptions& options) {
  engine_device_parse(options.device);
  BuiltinLoadOptions load;
  load.threads = options.threads;
  load.device = options.device;
  load.limits.max_active = options.max_batch;
  load.limits.max_step_tokens = std::max(load.limits.max_step_tokens, options.max_batch);
  load.kernels = options.kernels;
  load.programmatic_launch = options.programmatic_launch;
  load.limits.steps_in_flight = options.overlap ? 2 : 1;
  std::unique_ptr<BuiltinModel> model = BuiltinModel::load(dir, load);
  const InterruptScope watching;  // a first Ctrl-C ends the requests in flight, then stops
  const std::string name = options.model_name.empty() ? model->name() : options.model_name;
  serve_model(
      *model, options,
      [&](int port) {
        std::printf("moebench serve: model '%s' (%s, %s) on http://%s:%d/v1\n", name.c_str(),
                    model_family_name(model->config().family), model->device_name().c_str(),
                    url_host(options.host).c_str(), port);
        std::fflush(stdout);
      },
      [] { return interrupt_requested(); });
  std::printf("moebench serve: stopped\n");
  return kExitOk;
}

struct ServeFlags {
  std::string dir;
  std::string kernels = "separate";
  ServeOptions options;
};

}  // namespace

Command cmd_serve(CLI::App& app, const CliContext&) {
  auto f = std::make_shared<ServeFlags>();
  ServeOptions& o = f->options;
  CLI::App* serve_app = app.add_subcommand(
      "serve", "Serve a built-in checkpoint over the OpenAI API (/v1/chat/completions, ...)");
  serve_app->add_option("dir", f->dir, "Checkpoint directory (HF layout)")->required();
  serve_app->add_option("--host", o.host, "Address to bind")->capture_default_str();
  serve_app->add_option("--port", o.port, "Port (0 = any free port)")
      ->check(cli_integer(0, 65535))
      ->capture_default_str();
  serve_app->add_option("--max-batch", o.max_batch, "Requests decoded together")
      ->check(cli_integer(1, 4096))
      ->capture_default_str();
  serve_app->add_option("--threads", o.threads, "CPU engine threads (0 = all cores)")
      ->check(cli_integer(0, 4096));
  serve_app->add_option("--device", o.device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  serve_app->add_option("--model-name", o.model_name, "Model id (default: directory name)");
  serve_app
      ->add_option("--kernels", f->kernels,
                   "CUDA engine launches: separate, fused or wgmma (as model bench --kernels)")
      ->check(CLI::IsMember({"separate", "fused", "wgmma"}))
      ->capture_default_str();
  serve_app->add_flag("--pdl", o.programmatic_launch,
                      "CUDA engine: programmatic dependent launch (as model bench --pdl)");
  serve_app->add_flag("--overlap", o.overlap,
                      "Start each decode step before the previous one's ids are read (as model "
                      "bench --overlap; the same tokens)");
  return {serve_app, [f] {
            f->options.kernels = kernel_set_parse(f->kernels).value_or(KernelSet::separate);
            return serve(f->dir, f->options);
          }};
}

}  // namespace moebench
