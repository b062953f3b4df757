// `moebench model`: the built-in model's checkpoints. `model init` writes a random (or
// dummy-weight) checkpoint of any family and preset; `model bench` is in cmd_model_bench.cpp.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include "backends/builtin/checkpoint/model_init.h"
#include "backends/builtin/checkpoint/model_weights.h"
#include "common/error.h"
#include "harness/cli/cli_checks.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"

namespace moebench {
namespace {

struct ModelInitFlags {
  std::string family, preset = "tiny", out, dtype, tasks_dir, weights = "random", chat_format;
  uint64_t seed = 0;
  std::vector<std::string> sets;
  bool force = false;
};

CLI::App* add_model_init_flags(CLI::App* model, ModelInitFlags* flags) {
  CLI::App* init = model->add_subcommand(
      "init", "Write a random-weight HF checkpoint (config, safetensors, tokenizer)");
  init->add_option("--family", flags->family,
                   "deepseek_v3 | deepseek_v2 | qwen3_moe | qwen2_moe | mixtral | olmoe")
      ->required();
  init->add_option("--preset", flags->preset, "tiny | small | v2-lite")->capture_default_str();
  init->add_option("-o,--out", flags->out, "Output directory")->required()->check(cli_output_dir());
  init->add_option("--seed", flags->seed, "Weight seed")
      ->check(cli_unsigned())
      ->capture_default_str();
  init->add_option("--dtype", flags->dtype, "f32 | bf16 (default: f32 for tiny, else bf16)");
  init->add_option("--set", flags->sets,
                   "Override a config.json key: key=<JSON value>, e.g. num_hidden_layers=2");
  init->add_flag("--force", flags->force, "Replace the files of an existing checkpoint");
  init->add_option("--weights", flags->weights,
                   "random (model.safetensors) | dummy (dummy_weights.json: weights generated "
                   "from the seed at load time, like vLLM's load_format=dummy)")
      ->check(CLI::IsMember({"random", "dummy"}))
      ->capture_default_str();
  init->add_option("--chat-format", flags->chat_format,
                   "Chat template: the family's (default), or deepseek_r1 / deepseek_v3_1 / "
                   "deepseek_v2 for a deepseek family (R1's generation prompt opens <think>, "
                   "V3.1's closes it, V2-Chat's turns are plain 'User: ' and 'Assistant: '), "
                   "qwen2 for a qwen family, mistral_legacy (Mixtral-Instruct's first) for mixtral")
      ->check(CLI::IsMember({"deepseek_v3", "deepseek_r1", "deepseek_v3_1", "deepseek_v2", "chatml",
                             "qwen2", "mistral", "mistral_legacy"}));
  init->add_option("--tasks-dir", flags->tasks_dir,
                   "Suite specs (its samples/ train the tokenizer)");
  return init;
}

int model_init(const ModelInitFlags& flags) {
  ModelInitOptions o;
  o.family = model_family_parse(flags.family, "--family");
  o.preset = flags.preset;
  o.out_dir = flags.out;
  o.seed = flags.seed;
  o.dtype = flags.dtype;
  o.force = flags.force;
  o.weights = flags.weights;
  o.chat_format = flags.chat_format;
  o.training_text_dir = std::filesystem::path(cli_tasks_dir(flags.tasks_dir)) / "samples";
  for (const std::string& kv : flags.sets) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) throw InputError("--set '" + kv + "': expected key=<JSON value>");
    nlohmann::json v = nlohmann::json::parse(kv.substr(eq + 1), nullptr, false);
    if (v.is_discarded()) v = kv.substr(eq + 1);  // a bare string
    o.overrides[kv.substr(0, eq)] = v;
  }
  ModelInitResult r = model_init_write(o);
  std::printf("moebench model init: %s %s, %.2fM parameters%s, %.1f MB on disk\n  %s\n",
              model_family_name(r.config.family), o.preset.c_str(), r.params / 1e6,
              o.weights == "dummy" ? " (dummy weights)" : "", r.total_bytes / 1e6,
              o.out_dir.string().c_str());
  return kExitOk;
}

}  // namespace

Command cmd_model(CLI::App& app, const CliContext& context) {
  CLI::App* model = app.add_subcommand("model", "Built-in model checkpoints");
  model->require_subcommand(1);
  auto init_flags = std::make_shared<ModelInitFlags>();
  CLI::App* init = add_model_init_flags(model, init_flags.get());
  const Command bench = cmd_model_bench(*model, context);
  // NOTE: require_subcommand(1): when init was not parsed, bench was.
  return {model, [init, init_flags, bench] {
            return init->parsed() ? model_init(*init_flags) : bench.run();
          }};
}

}  // namespace moebench
