// `moebench loadgen`: builds the prompts (random words or a suite's documents), runs the load and
// prints the serving report (text table, optional JSON).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>

#include "backends/builtin/tokenizer/tokenizer.h"
#include "common/error.h"
#include "common/file_write.h"
#include "harness/cli/cli_checks.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"
#include "harness/loadgen/loadgen_run.h"
#include "harness/runner/interrupt.h"
#include "harness/runner/plan.h"

namespace moebench {
namespace {

namespace fs = std::filesystem;

// Exit code when any request failed (the report is still printed and written); a CI gate like
// compare's kExitRegression. Bad input is still 2.
constexpr int kExitRequestsFailed = 1;

struct LoadgenFlags {
  std::string base_url = "http://127.0.0.1:8000/v1", model, endpoint = "chat";
  int num_prompts = 100;
  std::string request_rate = "inf";  // requests/s; parsed by hand so "inf" works
  double burstiness = 1.0;
  int max_concurrency = 0;
  int input_len = 128, output_len = 64;
  double len_spread = 0.25;
  std::string suite, tasks_dir, data_dir;  // --suite: prompts from a suite's documents
  bool samples = false;
  std::string slo, json_out, api_key;
  std::string tokenizer;  // tokenizer.json or a directory holding one
  uint64_t seed = 0;
  double timeout_s = 600;
  bool no_ignore_eos = false, no_progress = false;
  int warmup = 0;
};

double parse_rate(const std::string& text) {
  if (text == "inf" || text == "Inf" || text == "INF")
    return std::numeric_limits<double>::infinity();
  try {
    size_t used = 0;
    const double r = std::stod(text, &used);
    if (used == text.size() && r > 0 && std::isfinite(r)) return r;
  } catch (const std::exception&) {
  }
  throw InputError("--request-rate '" + text + "': expected a positive number or inf");
}

// The prompts of a suite's documents in the form the endpoint takes, in order; max_tokens is
// --output-len so the load does not depend on the suite's generation limit.
std::vector<LoadgenPrompt> suite_prompts(const LoadgenFlags& f, bool chat) {
  CommonFlags common;
  common.tasks_dir = f.tasks_dir;
  common.data_dir = f.data_dir;
  common.samples = f.samples;
  RunOptions o;
  cli_apply_common_flags(common, &o);
  o.suites = {f.suite};
  BackendInfo info;
  info.chat = chat;
  info.completion = !chat;
  std::vector<SuiteRun> runs = plan_suites(o, info);
  std::vector<LoadgenPrompt> pool;
  for (const SuiteRun& run : runs) {
    for (const Request& r : run.requests) {
      LoadgenPrompt p;
      p.text = r.prompt;
      p.messages = r.messages;
      p.max_tokens = f.output_len;
      pool.push_back(std::move(p));
    }
  }
  if (pool.empty()) throw InputError("--suite '" + f.suite + "': the suite has no documents");
  return pool;
}

struct Workload {
  std::vector<LoadgenPrompt> measured, warmup;
};

// The measured prompts (random, or a suite's cycled to --num-prompts) and the warm-up's, none of
// them measured: a suite's documents left out of the run, then random prompts. A repeated prompt
// is a prefix-cache hit on a server that caches (vLLM V1 by default), so repeats are warned of.
Workload loadgen_workload(const LoadgenFlags& f, bool chat) {
  const RandomPromptSpec spec{f.input_len, f.output_len, f.len_spread};
  Workload w;
  std::vector<LoadgenPrompt> spare;
  if (f.suite.empty()) {
    w.measured = loadgen_random_prompts(f.num_prompts, spec, f.seed);
  } else {
    if (f.output_len < 1) throw InputError("--output-len must be at least 1");
    spare = suite_prompts(f, chat);
    for (int i = 0; i < f.num_prompts; ++i) w.measured.push_back(spare[i % spare.size()]);
  }
  const int distinct = loadgen_distinct_prompts(w.measured);
  if (distinct < f.num_prompts) {
    std::fprintf(stderr,
                 "loadgen: warning: the %d requests send %d distinct prompts: %d repeat an earlier "
                 "one, which a server with prefix caching answers without its prefill (a low "
                 "TTFT)\n",
                 f.num_prompts, distinct, f.num_prompts - distinct);
  }
  int random_used = 0;
  w.warmup = loadgen_warmup_prompts(f.warmup, spare, spec, f.seed, w.measured, &random_used);
  if (!f.suite.empty() && random_used > 0) {
    const int unmeasured = f.warmup - random_used;
    const std::string why = unmeasured == 0 ? "every prompt of the suite is measured"
                                            : "only " + std::to_string(unmeasured) +
                                                  " prompt(s) of the suite are not measured";
    std::fprintf(stderr,
                 "loadgen: warning: --warmup %d: %s; the warm-up sends %d random prompt(s) of "
                 "--input-len %d words\n",
                 f.warmup, why.c_str(), random_used, f.input_len);
  }
  return w;
}

// --tokenizer: a tokenizer.json, or a model directory holding one, as a token counter of texts
// (InputError naming the path or the file's bad field).
void load_tokenizer(const std::string& path, LoadgenOptions* o) {
  fs::path file = path;
  if (fs::is_directory(file)) file /= "tokenizer.json";
  if (!fs::is_regular_file(file))
    throw InputError("--tokenizer '" + path + "': no tokenizer.json there");
  auto tok = std::make_shared<const Tokenizer>(Tokenizer::load(file));
  o->tokenizer = file.string();
  o->count_tokens = [tok](const std::string& text) {
    return static_cast<long>(tok->encode(text).size());
  };
}

CLI::App* add_loadgen_flags(CLI::App* app, LoadgenFlags* f) {
  CLI::App* c = app->add_subcommand(
      "loadgen", "Serving benchmark: stream requests to an OpenAI-compatible server at a rate");
  c->add_option("--base-url", f->base_url, "Server API root")->capture_default_str();
  c->add_option("--model", f->model, "Model id sent with each request")->required();
  c->add_option("--endpoint", f->endpoint, "chat | completions")
      ->check(CLI::IsMember({"chat", "completions"}))
      ->capture_default_str();
  c->add_option("--num-prompts", f->num_prompts, "Requests to send")
      ->check(cli_integer(1, 1000000))
      ->capture_default_str();
  c->add_option("--request-rate", f->request_rate,
                "Requests/s, Poisson arrivals (inf = all at once)")
      ->capture_default_str();
  c->add_option("--burstiness", f->burstiness,
                "Arrival gaps from a gamma distribution of this shape at the same mean rate, as "
                "vLLM's: 1 = Poisson, below 1 burstier, above 1 more even")
      ->check(cli_number_above(0, true))
      ->capture_default_str();
  c->add_option("--max-concurrency", f->max_concurrency,
                "Requests in flight at most; a request's clock starts when it is sent, as vLLM's "
                "(0 = no cap but loadgen's " +
                    std::to_string(kLoadgenMaxWorkers) +
                    " workers; a request that waits for a worker is timed from its arrival)")
      ->check(cli_integer(0, 1 << 20));
  c->add_option("--input-len", f->input_len, "Random prompts: words (about tokens) per prompt")
      ->check(cli_integer(1, 1 << 24))
      ->capture_default_str();
  c->add_option("--output-len", f->output_len, "max_tokens per request")
      ->check(cli_integer(1, 1 << 24))
      ->capture_default_str();
  c->add_option("--len-spread", f->len_spread, "Lengths uniform within +-this fraction")
      ->check(cli_number_above(0, false, 0.99))
      ->capture_default_str();
  c->add_option("--suite", f->suite, "Take prompts from this suite's documents instead");
  c->add_option("--tasks-dir", f->tasks_dir, "Suite specs (with --suite)");
  c->add_option("--data-dir", f->data_dir, "Datasets (with --suite)");
  c->add_flag("--samples", f->samples, "With --suite: the bundled sample documents");
  c->add_option("--tokenizer", f->tokenizer,
                "tokenizer.json, or a model directory holding one: counts the tokens of requests "
                "that stream no usage chunk (the generated text, and the prompt without a chat "
                "template), as vLLM's benchmark does; without it those are chunk counts");
  c->add_option("--slo", f->slo, "SLOs for goodput, e.g. ttft_ms=500,tpot_ms=50,e2el_ms=2000");
  c->add_option("--seed", f->seed, "Seed of the arrival schedule and prompts")
      ->check(cli_unsigned())
      ->capture_default_str();
  c->add_option("--json", f->json_out, "Write the report and per-request records here")
      ->check(cli_output_file());
  c->add_option("--timeout", f->timeout_s, "Seconds allowed per request")
      ->check(cli_number_above(0, true))
      ->capture_default_str();
  c->add_option("--api-key", f->api_key, "Bearer token (default: $OPENAI_API_KEY)");
  c->add_flag("--no-ignore-eos", f->no_ignore_eos, "Do not send ignore_eos: true");
  c->add_flag("--no-progress", f->no_progress, "No progress line on stderr");
  c->add_option("--warmup", f->warmup,
                "Requests sent first at the run's concurrency, untimed and unreported (a server's "
                "first-use work: CUDA graph capture, allocations); a failed one stops the run. "
                "Their prompts are none of the measured ones (a server's prefix cache would keep "
                "them): a suite's documents left out of the run, else random prompts")
      ->capture_default_str();
  return c;
}

int loadgen(const LoadgenFlags& f) {
  LoadgenOptions o;
  o.target.base_url = f.base_url;
  o.target.model = f.model;
  o.target.chat = f.endpoint == "chat";
  o.target.ignore_eos = !f.no_ignore_eos;
  o.target.timeout_s = f.timeout_s;
  o.target.api_key = f.api_key;
  if (o.target.api_key.empty()) {
    if (const char* k = std::getenv("OPENAI_API_KEY")) o.target.api_key = k;
  }
  o.request_rate = parse_rate(f.request_rate);
  o.burstiness = f.burstiness;
  o.max_concurrency = f.max_concurrency;
  o.seed = f.seed;
  o.slo = loadgen_parse_slo(f.slo);
  o.progress = !f.no_progress;
  o.warmup = f.warmup;
  o.validate();
  if (!f.tokenizer.empty()) load_tokenizer(f.tokenizer, &o);

  const Workload w = loadgen_workload(f, o.target.chat);
  LoadgenResult result;
  try {
    const InterruptScope watching;  // a first Ctrl-C sends nothing more, waits for what is out
    result = loadgen_run(o, w.measured, w.warmup);
  } catch (const LoadgenWarmupFailed& e) {  // the server's failure, as a measured request's
    std::fprintf(stderr, "moebench: error: %s (no measured request was sent)\n", e.what());
    return kExitRequestsFailed;
  }
  std::fputs(loadgen_format_table(result.summary).c_str(), stdout);
  if (interrupt_requested()) {  // not a benchmark of the schedule asked for: no JSON of it
    std::fprintf(stderr,
                 "moebench: loadgen: interrupted; the table counts the requests not sent "
                 "as interrupted%s\n",
                 f.json_out.empty() ? "" : ("; " + f.json_out + " is not written").c_str());
    return kExitInterrupted;
  }
  for (const RequestRecord& r : result.records) {
    if (!r.ok) {  // the first failure says why, the table counts them all
      std::fprintf(stderr, "loadgen: request %d failed (%s): %s\n", r.index, r.error_type.c_str(),
                   r.error_message.c_str());
      break;
    }
  }
  if (!f.json_out.empty()) {
    write_file_atomic(f.json_out, loadgen_result_json(o, result).dump(2) + "\n");
  }
  return result.summary.failed > 0 ? kExitRequestsFailed : kExitOk;
}

}  // namespace

Command cmd_loadgen(CLI::App& app, const CliContext&) {
  auto f = std::make_shared<LoadgenFlags>();
  return {add_loadgen_flags(&app, f.get()), [f] { return loadgen(*f); }};
}

}  // namespace moebench
