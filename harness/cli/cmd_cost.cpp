// `moebench cost`: reads throughput (model bench JSON, run.json or flags), prices it at $/GPU-hour
// and sets the API models' prices in effect on a date beside it.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "backends/models_file.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/file_write.h"
#include "harness/cli/cli_checks.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"
#include "reports/cost.h"

namespace moebench {
namespace {

struct CostFlags {
  std::string bench, run;                  // a model bench JSON, or a run dir / run.json
  double prefill_tps = 0, decode_tps = 0;  // or throughput given directly (0 = not given)
  double gpu_hour_usd = 0;
  int gpus = 0;         // 0: the run's GPU count when --run names one with GPUs, else 1
  std::string models;   // default: $MOEBENCH_MODELS, then the source tree's backends/models.json
  std::string compare;  // comma-separated model names; default: every model priced on --date
  std::string date;     // YYYY-MM-DD or YYYY-MM-DDTHH:MMZ; default: today (UTC)
  std::string format = "text", out;
};

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : list + ",") {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  return out;
}

CostApiRow api_row(const ModelEntry& m, const std::string& date) {
  CostApiRow a;
  a.name = m.name;
  a.provider = m.provider;
  a.model = m.model;
  if (const std::optional<ModelPrice> p = models_price_at(m, date)) {
    a.priced = true;
    a.currency = p->currency;
    a.effective_from = p->effective_from;
    a.effective_until = p->effective_until;
    a.input_cache_hit = p->input_cache_hit;
    a.input_cache_write = p->input_cache_write;
    if (p->off_peak) {
      a.off_peak_utc = p->off_peak->utc;
      a.off_peak_input_cache_hit = p->off_peak->input_cache_hit;
      a.off_peak_input = p->off_peak->input;
      a.off_peak_output = p->off_peak->output;
    }
    a.input = p->input;
    a.output = p->output;
    // A UTC minute inside the window is billed at the off-peak prices (as `run` bills a request
    // sent then); a day stands for its table, at the standard prices, the window's beside them.
    if (p->off_peak && date.find('T') != std::string::npos &&
        p->off_peak->contains(models_instant_time(date))) {
      a.off_peak_now = true;
      a.standard_input_cache_hit = a.input_cache_hit;
      a.standard_input = a.input;
      a.standard_output = a.output;
      a.input_cache_hit = p->off_peak->input_cache_hit;
      a.input = p->off_peak->input;
      // NOTE: the off-peak windows are DeepSeek's, which reports no cache writes: a write would be
      // a cache miss.
      a.input_cache_write = p->off_peak->input;
      a.output = p->off_peak->output;
    }
  }
  return a;
}

// The named models (unknown names are errors), or every model priced on the date.
std::vector<CostApiRow> api_rows(const ModelsFile& file, const std::string& compare,
                                 const std::string& date) {
  std::vector<CostApiRow> rows;
  if (!compare.empty()) {
    for (const std::string& name : split_names(compare)) {
      if (!file.find(name)) {
        std::string known;
        for (const ModelEntry& m : file.models) known += (known.empty() ? "" : ", ") + m.name;
        throw InputError("--compare: no model '" + name + "' in " + file.path +
                         " (it has: " + known + ")");
      }
      rows.push_back(api_row(file.at(name), date));
    }
    return rows;
  }
  for (const ModelEntry& m : file.models) {
    CostApiRow a = api_row(m, date);
    if (a.priced) rows.push_back(a);
  }
  return rows;
}

CostSource read_source(const CostFlags& f) {
  const int given = !f.bench.empty() + !f.run.empty() + (f.prefill_tps > 0 || f.decode_tps > 0);
  if (given != 1) {
    throw InputError(
        "give one throughput source: --bench FILE, --run RUN_DIR, or --prefill-tps/--decode-tps");
  }
  if (!f.bench.empty()) return cost_read_bench(f.bench);
  if (!f.run.empty()) return cost_read_run(f.run);
  return cost_from_flags(f.prefill_tps, f.decode_tps);
}

CLI::App* add_cost_flags(CLI::App* app, CostFlags* f) {
  CLI::App* cmd = app->add_subcommand(
      "cost",
      "$ per 1M input (prefill), output (decode) and blended tokens on own GPUs, from measured "
      "throughput, beside API models' prices on a date");
  cmd->add_option("--bench", f->bench,
                  "Throughput from `moebench model bench --json` (a row per batch)");
  cmd->add_option("--run", f->run, "Throughput from a run directory (or its run.json)");
  cmd->add_option("--prefill-tps", f->prefill_tps, "Prefill (input) tokens/s")
      ->check(cli_number_above(0, true));
  cmd->add_option("--decode-tps", f->decode_tps, "Decode (output) tokens/s")
      ->check(cli_number_above(0, true));
  cmd->add_option("--gpu-hour-usd", f->gpu_hour_usd, "Price of one GPU for one hour, USD")
      ->check(cli_number_above(0, true))
      ->required();
  cmd->add_option("--gpus", f->gpus, "GPUs the throughput used (default: the run's, else 1)")
      ->check(cli_integer(1, 1 << 20));
  cmd->add_option("--models", f->models,
                  "Models file (default: $MOEBENCH_MODELS, then the source tree's "
                  "backends/models.json)");
  cmd->add_option("--compare", f->compare,
                  "API models to show, comma-separated (default: every model priced on --date)");
  cmd->add_option("--date", f->date,
                  "Day (YYYY-MM-DD: its 00:00 UTC table, standard prices) or UTC time "
                  "(YYYY-MM-DDTHH:MMZ: the prices in effect then, off-peak ones included) the API "
                  "prices are taken for (default: today)");
  cmd->add_option("--format", f->format, "text | md | json")
      ->check(CLI::IsMember({"text", "md", "json"}))
      ->capture_default_str();
  cmd->add_option("-o,--out", f->out, "Also write the JSON report to this file")
      ->check(cli_output_file());
  return cmd;
}

int cost(const CostFlags& f) {
  CostReport r;
  r.date = f.date.empty() ? utc_today() : f.date;
  if (!models_instant_valid(r.date)) {
    throw InputError("--date '" + f.date + "': expected YYYY-MM-DD or YYYY-MM-DDTHH:MMZ");
  }
  r.source = read_source(f);
  if (f.gpus < 0) throw InputError("--gpus: must be >= 1");
  r.gpus = f.gpus > 0 ? f.gpus : std::max(1, r.source.gpus);
  r.gpu_usd_per_hour = f.gpu_hour_usd;
  r.rows = cost_rows(r.source, r.gpu_usd_per_hour, r.gpus);
  const ModelsFile models = models_file_load(cli_models_file(f.models));
  r.models_file = models.path;
  r.api = api_rows(models, f.compare, r.date);

  const nlohmann::json j = cost_report_json(r);
  if (f.format == "json") {
    std::printf("%s\n", j.dump(2).c_str());
  } else if (f.format == "md") {
    std::fputs(cost_format_markdown(r).c_str(), stdout);
  } else {
    std::fputs(cost_format_text(r).c_str(), stdout);
  }
  if (!f.out.empty()) {
    write_file_atomic(f.out, j.dump(2) + "\n");
  }
  return kExitOk;
}

}  // namespace

Command cmd_cost(CLI::App& app, const CliContext&) {
  auto f = std::make_shared<CostFlags>();
  return {add_cost_flags(&app, f.get()), [f] { return cost(*f); }};
}

}  // namespace moebench
