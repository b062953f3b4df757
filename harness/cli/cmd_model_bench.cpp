// `moebench model bench`: decode and prefill throughput of a checkpoint on the CPU or CUDA
// engine with random token ids, and on CUDA the figures against the limits measured in the same
// run: decode tokens/s against the bandwidth roofline (weights + KV bytes per step over the
// device copy bandwidth), prefill FLOP/s against the cuBLAS bf16 GEMM rate.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>

#include "backends/builtin/engine/model_roofline.h"
#include "backends/builtin/engine_select.h"
#include "common/clock.h"
#include "common/error.h"
#include "harness/cli/cli_checks.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"

#ifdef MOEBENCH_HAVE_CUDA
#include "kernels/device_limits.h"
#include "kernels/gemm.h"
#include "kernels/profiler_window.h"
#endif

namespace moebench {
namespace {

struct ModelBenchFlags {
  std::string dir, json_out;
  std::vector<int> batches = {1, 8};
  std::vector<int> prompts = {128};  // context lengths (prompt tokens per sequence)
  int tokens = 64, threads = 0, warmup = 2;
  std::string prefill;          // "SEQSxLEN", e.g. 8x2048: one timed prefill of SEQS prompts of LEN
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  std::string kernels;   // CUDA engine: separate | fused | wgmma; empty = the engine's default
  bool pdl = false;      // CUDA engine: programmatic dependent launch
  bool overlap = false;  // each decode step started before the previous one's ids are read
};

struct Limits {
  double copy_bytes_per_s = 0;  // 0 = not measured (CPU engine)
  double gemm_flops = 0;
};

Limits measure_limits(const Engine& engine) {
  Limits l;
#ifdef MOEBENCH_HAVE_CUDA
  if (engine.device_name().rfind("cuda", 0) == 0) {
    CublasContext ctx;
    l.copy_bytes_per_s = measure_copy_bandwidth();
    l.gemm_flops = measure_gemm_flops(ctx);
  }
#else
  (void)engine;
#endif
  return l;
}

// Opens or closes the profiler's window when the run is on the CUDA engine (limits measured); a
// no-op without a profiler.
void profiler_window(const Limits& lim, bool open) {
#ifdef MOEBENCH_HAVE_CUDA
  if (lim.copy_bytes_per_s > 0) cuda_profiler_window(open);
#else
  (void)lim;
  (void)open;
#endif
}

// "8x2048" -> {8, 2048}; the whole of each side a positive integer ("8x2k" is refused, not 8x2).
std::pair<int, int> parse_prefill(const std::string& s) {
  std::smatch m;
  if (!std::regex_match(s, m, std::regex("([1-9][0-9]{0,8})x([1-9][0-9]{0,8})"))) {
    throw InputError("--prefill '" + s + "': expected SEQSxLEN, e.g. 8x2048");
  }
  return {std::stoi(m[1].str()), std::stoi(m[2].str())};
}

// Untimed prefills of a shape before its timed one (recorded in the JSON).
constexpr int kPrefillWarmup = 1;

class Bench {
 public:
  Bench(Engine& engine, const ModelConfig& c) : engine_(engine), token_(0, c.vocab_size - 1) {}

  // The launches of one decode step of `batch` sequences (a CUDA graph's kernels; 0 on the CPU).
  int step_kernels(int batch) const { return engine_.decode_step_kernels(batch); }

  std::vector<int> random_ids(int n) {
    std::vector<int> ids(n);
    for (int& t : ids) t = token_(rng_);
    return ids;
  }

  std::vector<EngineChunk> new_prompts(int seqs, int len) {
    std::vector<EngineChunk> chunks;
    for (int b = 0; b < seqs; ++b)
      chunks.push_back({engine_.new_sequence(), random_ids(len), false});
    return chunks;
  }

  void free(const std::vector<EngineChunk>& chunks) {
    for (const EngineChunk& ch : chunks) engine_.free_sequence(ch.seq);
  }

  // Decode steps feed random tokens (a repeated token would route every step to the same
  // experts) and sample greedily, as generation does (on the GPU only the ids come back). With
  // overlap, each step starts before the previous one's ids are read (Engine::start_sample), as
  // generation with steps_in_flight 2 does.
  double decode_seconds(std::vector<EngineChunk>& chunks, int steps, bool overlap) {
    std::vector<Sampler> greedy(chunks.size(), Sampler(SamplingParams{}));
    std::vector<Sampler*> samplers;
    for (Sampler& s : greedy) samplers.push_back(&s);
    const auto t0 = Clock::now();
    for (int step = 0; step < steps; ++step) {
      for (EngineChunk& ch : chunks) ch.tokens = {token_(rng_)};
      if (!overlap) {
        engine_.forward_sample(chunks, samplers);
        continue;
      }
      engine_.start_sample(chunks, samplers);
      if (step > 0) engine_.finish_sample();
    }
    if (overlap && steps > 0) engine_.finish_sample();
    return seconds_since(t0);
  }

  // kPrefillWarmup untimed prefills of `seqs` fresh prompts of `len` tokens, freed after: the
  // first call of a shape pays kernel loading and attributes, cuBLAS heuristics and the MoE
  // path's first use.
  void warm_prefill(int seqs, int len) {
    for (int i = 0; i < kPrefillWarmup; ++i) {
      const std::vector<EngineChunk> warm = new_prompts(seqs, len);
      prefill_seconds(warm);
      free(warm);
    }
  }

  // One prefill of the chunks, sampling each prompt's next token.
  double prefill_seconds(const std::vector<EngineChunk>& chunks) {
    std::vector<Sampler> greedy(chunks.size(), Sampler(SamplingParams{}));
    std::vector<Sampler*> samplers;
    for (Sampler& s : greedy) samplers.push_back(&s);
    const auto t0 = Clock::now();
    engine_.forward_sample(chunks, samplers);
    return seconds_since(t0);
  }

 private:
  Engine& engine_;
  std::mt19937 rng_{1234};
  std::uniform_int_distribution<int> token_;
};

CLI::App* add_model_bench_flags(CLI::App* model, ModelBenchFlags* flags) {
  CLI::App* bench = model->add_subcommand(
      "bench",
      "Time prefill and decode of a checkpoint on the CPU or CUDA engine (random token ids); on "
      "CUDA against the bandwidth and GEMM limits measured in the same run");
  bench->add_option("dir", flags->dir, "Checkpoint directory")->required();
  bench->add_option("--batch", flags->batches, "Sequences decoded together (repeatable)")
      ->check(cli_integer(1, 1 << 16))
      ->capture_default_str();
  bench
      ->add_option("--prompt", flags->prompts,
                   "Prompt tokens per sequence, i.e. the context length (repeatable)")
      ->check(cli_integer(1, 1 << 24))
      ->capture_default_str();
  bench->add_option("--tokens", flags->tokens, "Timed decode steps per batch")
      ->check(cli_integer(1, 1 << 24))
      ->capture_default_str();
  bench->add_option("--warmup", flags->warmup, "Untimed decode steps first (graph capture)")
      ->check(cli_integer(0, 1 << 24))
      ->capture_default_str();
  bench->add_option("--prefill", flags->prefill,
                    "Also time one prefill of SEQSxLEN random prompts, e.g. 8x2048");
  bench->add_option("--threads", flags->threads, "CPU engine threads (0 = all cores)")
      ->check(cli_integer(0, 4096))
      ->capture_default_str();
  bench->add_option("--device", flags->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  bench->add_option("--json", flags->json_out, "Also write the figures to this JSON file")
      ->check(cli_output_file());
  bench
      ->add_option("--kernels", flags->kernels,
                   "CUDA engine launches: separate (the default), fused (MLA's norm + rope + "
                   "cache append in one kernel, routing + placement in one, the experts' gather "
                   "and SwiGLU inside their GEMMs, the combine inside the next norm; the same "
                   "values, so a before/after is two runs) or wgmma (fused, and from 16 tokens "
                   "the routed experts on Hopper's wgmma grouped GEMM: an sm_90a build)")
      ->check(CLI::IsMember({"separate", "fused", "wgmma"}));
  bench->add_flag("--pdl", flags->pdl,
                  "CUDA engine: programmatic dependent launch (each kernel starts while the one "
                  "before it finishes, and waits for it before reading its output)");
  bench->add_flag("--overlap", flags->overlap,
                  "Start each decode step before the previous one's ids are read (on CUDA the "
                  "host prepares and launches step n + 1 while step n runs; the same tokens)");
  return bench;
}

// One (batch, context) row: `batch` prompts of `prompt` tokens prefilled together (after one
// untimed prefill of that shape), then decoded. TTFT is the prefill's time (every sequence's first
// token comes out of it), TPOT one decode step's.
nlohmann::json bench_row(Bench& bench, const ModelConfig& config, const Limits& lim, int batch,
                         int prompt, const ModelBenchFlags& flags) {
  bench.warm_prefill(batch, prompt);
  std::vector<EngineChunk> chunks = bench.new_prompts(batch, prompt);
  const double prefill_s = bench.prefill_seconds(chunks);
  bench.decode_seconds(chunks, flags.warmup, flags.overlap);
  // NOTE: a profiler started with --profile-from-start off records the timed steps only (not the
  // weight fill, the ceilings or the prefill).
  profiler_window(lim, true);
  const double decode_s = bench.decode_seconds(chunks, flags.tokens, flags.overlap);
  profiler_window(lim, false);
  bench.free(chunks);
  const double prefill_tps = double(batch) * prompt / prefill_s;
  const double decode_tps = double(batch) * flags.tokens / decode_s;
  const double tpot_ms = 1e3 * decode_s / flags.tokens;
  const int kernels = bench.step_kernels(batch);
  nlohmann::json row = {{"batch", batch},
                        {"prompt", prompt},
                        {"tokens", flags.tokens},
                        {"warmup", flags.warmup},
                        {"prefill_warmup", kPrefillWarmup},
                        {"prefill_tokens_per_s", prefill_tps},
                        {"decode_tokens_per_s", decode_tps},
                        {"decode_ms_per_step", tpot_ms},
                        {"ttft_ms", 1e3 * prefill_s},
                        {"tpot_ms", tpot_ms}};
  std::printf("%-6d %-7d %-7d %13.0f %13.0f %10.3f %10.3f", batch, prompt, flags.tokens,
              prefill_tps, decode_tps, 1e3 * prefill_s, tpot_ms);
  if (lim.copy_bytes_per_s > 0) {
    // The mean context over the timed steps.
    const int64_t context = prompt + flags.warmup + flags.tokens / 2;
    const DecodeBytes b = decode_step_bytes(config, batch, context);
    const double bound = batch * lim.copy_bytes_per_s / (b.weights + b.kv);
    std::printf(" %9.2f %12.0f %7.1f%%", (b.weights + b.kv) / 1e9, bound,
                100.0 * decode_tps / bound);
    row["weight_bytes_per_step"] = b.weights;
    row["kv_bytes_per_step"] = b.kv;
    row["experts_touched_per_layer"] = b.experts_touched;
    row["roofline_tokens_per_s"] = bound;
    row["roofline_fraction"] = decode_tps / bound;
  }
  if (kernels > 0) {  // a CUDA graph's kernel nodes: the launches of one decode step
    std::printf(" %8d", kernels);
    row["kernels_per_step"] = kernels;
  }
  std::printf("\n");
  return row;
}

// One timed prefill of `seqs` random prompts of `len` tokens, after one untimed of the same shape
// (kernel attributes, cuBLAS heuristics); on CUDA against the GEMM rate measured in the run.
nlohmann::json bench_prefill(Bench& bench, const ModelConfig& config, const Limits& lim, int seqs,
                             int len) {
  bench.warm_prefill(seqs, len);
  std::vector<EngineChunk> chunks = bench.new_prompts(seqs, len);
  const double s = bench.prefill_seconds(chunks);
  bench.free(chunks);
  const double flops = seqs * prefill_flops(config, len);
  std::printf("prefill %dx%d: %.3f s, %.0f tokens/s, %.1f TFLOP/s", seqs, len, s, seqs * len / s,
              flops / s / 1e12);
  nlohmann::json out = {{"seqs", seqs},
                        {"len", len},
                        {"warmup", kPrefillWarmup},
                        {"seconds", s},
                        {"tokens_per_s", seqs * len / s},
                        {"flops", flops},
                        {"flops_per_s", flops / s}};
  if (lim.copy_bytes_per_s > 0) {
    std::printf(" = %.1f%% of the cuBLAS GEMM rate", 100.0 * flops / s / lim.gemm_flops);
    out["gemm_fraction"] = flops / s / lim.gemm_flops;
  }
  std::printf("\n");
  return out;
}

// The bench's JSON so far into path (none when empty). NOTE: rewritten after each row, so a bench
// stopped part way (a time limit) keeps its finished rows; written beside and renamed over, so
// the file is always whole.
void write_bench_json(const std::string& path, const nlohmann::json& out) {
  if (path.empty()) return;
  const std::string partial = path + ".partial";
  if (!(std::ofstream(partial) << out.dump(2))) {
    throw InputError(partial + ": cannot write the bench JSON");
  }
  std::filesystem::rename(partial, path);
}

int model_bench(const ModelBenchFlags& flags) {
  engine_device_parse(flags.device);
  const int max_prompt = *std::max_element(flags.prompts.begin(), flags.prompts.end());
  const int min_prompt = *std::min_element(flags.prompts.begin(), flags.prompts.end());
  if (min_prompt < 1 || flags.tokens < 1 || flags.warmup < 0) {
    throw InputError("--prompt and --tokens must be >= 1, --warmup >= 0");
  }
  for (int batch : flags.batches) {
    if (batch < 1) throw InputError("--batch must be >= 1");
  }
  const std::pair<int, int> prefill =
      flags.prefill.empty() ? std::pair<int, int>{0, 0} : parse_prefill(flags.prefill);
  const ModelConfig config = model_config_load(std::filesystem::path(flags.dir) / "config.json");
  // A prefill of LEN writes positions 0..LEN-1 (its next token is sampled, not cached).
  const int longest = std::max(max_prompt + flags.warmup + flags.tokens, prefill.second);
  if (longest > config.max_position_embeddings) {
    throw InputError(
        "--prompt + --warmup + --tokens (or the --prefill length) exceed "
        "max_position_embeddings (" +
        std::to_string(config.max_position_embeddings) + ")");
  }
  EngineLoadOptions load;
  load.device = flags.device;
  load.threads = flags.threads;
  load.kernels = kernel_set_parse(flags.kernels).value_or(KernelSet::separate);
  load.programmatic_launch = flags.pdl;
  const bool cuda = engine_device_resolve(flags.device).cuda;
  if ((!flags.kernels.empty() || flags.pdl) && !cuda) {
    throw InputError((flags.pdl ? std::string("--pdl") : "--kernels " + flags.kernels) +
                     ": applies to the CUDA engine, and this run uses the CPU one (--device " +
                     flags.device + ")");
  }
  for (int batch : flags.batches) load.max_batch = std::max(load.max_batch, batch);
  load.max_step_tokens =
      std::max({load.max_step_tokens, load.max_batch * max_prompt, prefill.first * prefill.second});
  const LoadedEngine loaded = engine_load(config, flags.dir, load);
  Engine& engine = *loaded.engine;
  const Limits lim = measure_limits(engine);
  const bool roofline = lim.copy_bytes_per_s > 0;
  const char* kernels = kernel_set_name(load.kernels);
  std::printf("engine %s%s%s%s%s\n", engine.device_name().c_str(), cuda ? ", kernels " : "",
              cuda ? kernels : "", load.programmatic_launch ? ", programmatic launch" : "",
              flags.overlap ? ", decode steps started ahead" : "");
  if (roofline) {
    std::printf("measured: device copy %.2f TB/s, cuBLAS bf16 GEMM 8192^3 %.1f TFLOP/s\n",
                lim.copy_bytes_per_s / 1e12, lim.gemm_flops / 1e12);
  }
  Bench bench(engine, config);
  std::printf("%-6s %-7s %-7s %13s %13s %10s %10s", "batch", "prompt", "tokens", "prefill tok/s",
              "decode tok/s", "TTFT ms", "TPOT ms");
  if (roofline) std::printf(" %9s %12s %8s %8s", "GB/step", "bound tok/s", "% roof", "kernels");
  std::printf("\n");
  nlohmann::json out = {{"model", flags.dir},
                        {"engine", engine.device_name()},
                        {"threads", flags.threads},
                        {"overlap", flags.overlap},
                        {"runs", nlohmann::json::array()}};
  if (cuda) {
    out["kernels"] = kernels;
    out["programmatic_launch"] = load.programmatic_launch;
  }
  if (roofline) {
    out["copy_bytes_per_s"] = lim.copy_bytes_per_s;
    out["gemm_flops_per_s"] = lim.gemm_flops;
  }
  for (int prompt : flags.prompts) {
    for (int batch : flags.batches) {
      out["runs"].push_back(bench_row(bench, config, lim, batch, prompt, flags));
      write_bench_json(flags.json_out, out);
    }
  }
  if (prefill.first > 0) {
    out["prefill"] = bench_prefill(bench, config, lim, prefill.first, prefill.second);
    write_bench_json(flags.json_out, out);
  }
  return kExitOk;
}

}  // namespace

Command cmd_model_bench(CLI::App& model, const CliContext&) {
  auto f = std::make_shared<ModelBenchFlags>();
  return {add_model_bench_flags(&model, f.get()), [f] { return model_bench(*f); }};
}

}  // namespace moebench
