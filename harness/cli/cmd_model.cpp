// `moebench model init` (a random checkpoint of any family and preset) and `moebench model
// bench` (prefill and decode throughput of a checkpoint on the CPU engine).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

#include "backends/builtin/engine_cpu.h"
#include "backends/builtin/model_init.h"
#include "backends/builtin/model_weights.h"
#include "common/error.h"
#include "harness/cli/cli_common.h"

namespace moebench {
namespace {

double seconds_between(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

void cli_add_model_init(CLI::App* model, ModelInitFlags* flags) {
  CLI::App* init = model->add_subcommand(
      "init", "Write a random-weight HF checkpoint (config, safetensors, tokenizer)");
  init->add_option("--family", flags->family,
                   "deepseek_v3 | deepseek_v2 | qwen3_moe | qwen2_moe | mixtral | olmoe")
      ->required();
  init->add_option("--preset", flags->preset, "tiny | small | v2-lite")->capture_default_str();
  init->add_option("-o,--out", flags->out, "Output directory")->required();
  init->add_option("--seed", flags->seed, "Weight seed")->capture_default_str();
  init->add_option("--dtype", flags->dtype, "f32 | bf16 (default: f32 for tiny, else bf16)");
  init->add_option("--set", flags->sets,
                   "Override a config.json key: key=<JSON value>, e.g. num_hidden_layers=2");
  init->add_flag("--force", flags->force, "Replace the files of an existing checkpoint");
  init->add_option("--tasks-dir", flags->tasks_dir,
                   "Suite specs (its samples/ train the tokenizer)");
}

int cli_model_init(const ModelInitFlags& flags) {
  ModelInitOptions o;
  o.family = model_family_parse(flags.family, "--family");
  o.preset = flags.preset;
  o.out_dir = flags.out;
  o.seed = flags.seed;
  o.dtype = flags.dtype;
  o.force = flags.force;
  o.training_text_dir = std::filesystem::path(cli_tasks_dir(flags.tasks_dir)) / "samples";
  for (const std::string& kv : flags.sets) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) throw InputError("--set '" + kv + "': expected key=<JSON value>");
    nlohmann::json v = nlohmann::json::parse(kv.substr(eq + 1), nullptr, false);
    if (v.is_discarded()) v = kv.substr(eq + 1);  // a bare string
    o.overrides[kv.substr(0, eq)] = v;
  }
  ModelInitResult r = model_init_write(o);
  std::printf("moebench model init: %s %s, %.2fM parameters, %.1f MB on disk\n  %s\n",
              model_family_name(r.config.family), o.preset.c_str(), r.params / 1e6,
              r.total_bytes / 1e6, o.out_dir.string().c_str());
  return kExitOk;
}

}  // namespace moebench

namespace moebench {

void cli_add_model_bench(CLI::App* model, ModelBenchFlags* flags) {
  CLI::App* bench = model->add_subcommand(
      "bench", "Time prefill and decode of a checkpoint on the CPU engine (random token ids)");
  bench->add_option("dir", flags->dir, "Checkpoint directory")->required();
  bench->add_option("--batch", flags->batches, "Sequences decoded together (repeatable)")
      ->capture_default_str();
  bench->add_option("--prompt", flags->prompt, "Prompt tokens per sequence")->capture_default_str();
  bench->add_option("--tokens", flags->tokens, "Decoded tokens per sequence")
      ->capture_default_str();
  bench->add_option("--threads", flags->threads, "Engine threads (0 = all cores)")
      ->capture_default_str();
  bench->add_option("--json", flags->json_out, "Also write the figures to this JSON file");
}

int cli_model_bench(const ModelBenchFlags& flags) {
  const ModelConfig config = model_config_load(std::filesystem::path(flags.dir) / "config.json");
  const ModelWeights weights = model_weights_load(flags.dir, config);
  CpuEngine engine(config, weights, flags.threads);
  if (flags.prompt < 1 || flags.tokens < 1) throw InputError("--prompt and --tokens must be >= 1");
  if (flags.prompt + flags.tokens >= config.max_position_embeddings)
    throw InputError("--prompt + --tokens exceed max_position_embeddings (" +
                     std::to_string(config.max_position_embeddings) + ")");
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> token(0, config.vocab_size - 1);
  nlohmann::json rows = nlohmann::json::array();
  std::printf("%-6s %-8s %-8s %14s %14s %12s\n", "batch", "prompt", "tokens", "prefill tok/s",
              "decode tok/s", "ms/step");
  for (int batch : flags.batches) {
    if (batch < 1) throw InputError("--batch must be >= 1");
    std::vector<EngineChunk> chunks;
    for (int b = 0; b < batch; ++b) {
      std::vector<int> ids(flags.prompt);
      for (int& t : ids) t = token(rng);
      chunks.push_back({engine.new_sequence(), ids, false});
    }
    auto t0 = std::chrono::steady_clock::now();
    engine.forward(chunks);
    const double prefill_s = seconds_between(t0);
    // Decode feeds random tokens (a repeated token would route every step to the same experts).
    t0 = std::chrono::steady_clock::now();
    for (int step = 0; step < flags.tokens; ++step) {
      for (EngineChunk& c : chunks) c.tokens = {token(rng)};
      engine.forward(chunks);
    }
    const double decode_s = seconds_between(t0);
    for (const EngineChunk& c : chunks) engine.free_sequence(c.seq);
    const double prefill_tps = batch * flags.prompt / prefill_s;
    const double decode_tps = double(batch) * flags.tokens / decode_s;
    std::printf("%-6d %-8d %-8d %14.0f %14.0f %12.3f\n", batch, flags.prompt, flags.tokens,
                prefill_tps, decode_tps, 1e3 * decode_s / flags.tokens);
    rows.push_back({{"batch", batch},
                    {"prompt", flags.prompt},
                    {"tokens", flags.tokens},
                    {"prefill_tokens_per_s", prefill_tps},
                    {"decode_tokens_per_s", decode_tps}});
  }
  if (!flags.json_out.empty()) {
    std::ofstream(flags.json_out) << nlohmann::json{
        {"model", flags.dir},
        {"engine", "cpu"},
        {"threads", flags.threads},
        {"runs", rows}}.dump(2);
  }
  return kExitOk;
}

}  // namespace moebench
