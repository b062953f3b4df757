// Cost per 1M tokens on own hardware from measured throughput (REFERENCE "Serving and cost
// metrics"), beside API prices: the `moebench cost` report as text, Markdown and JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace moebench {

constexpr int kCostSchemaVersion = 1;

// $ per 1M tokens when `gpus` GPUs at `gpu_usd_per_hour` each produce `tokens_per_s`:
// (gpu_usd_per_hour x gpus) / (tokens_per_s x 3600) x 1e6.
double cost_usd_per_million(double gpu_usd_per_hour, int gpus, double tokens_per_s);
// Artificial Analysis' blend of 3 input tokens to 1 output token: (3 x input + output) / 4.
double cost_blended(double input_usd_per_million, double output_usd_per_million);

// One measured throughput point. 0 = not measured.
struct CostPoint {
  std::string label;  // "batch 8", "prefill 8x2048", "run <id>", "given"
  int batch = 0;      // 0 when the point is not one batch size
  double prefill_tokens_per_s = 0;
  double decode_tokens_per_s = 0;
  // A run's prompt and output tokens share one wall time, so its input and output figures each
  // charge all of it; the run's own mix is then the honest figure (CostRow::all_tokens).
  bool shared_time = false;
};

// Where the throughput came from.
struct CostSource {
  std::string kind;  // "bench" (moebench model bench --json) | "run" (run.json) | "flags"
  std::string path;  // "" for flags
  nlohmann::json details = nlohmann::json::object();  // model, engine, run_id, ...
  int gpus = 0;  // GPUs the source ran on, when it says (a run's host); 0 = unknown
  std::vector<CostPoint> points;
};

// InputError naming the file and field on a malformed file.
CostSource cost_read_bench(const std::string& path);
// A run directory or its run.json; its throughput block (prompt/output tokens per second).
CostSource cost_read_run(const std::string& run);
CostSource cost_from_flags(double prefill_tokens_per_s, double decode_tokens_per_s);

struct CostRow {
  CostPoint point;
  std::optional<double> input, output, blended;  // $ per 1M tokens
  std::optional<double> all_tokens;              // shared-time points: $ per 1M of the run's mix
};

// An API model's prices in effect on the report's date, as the models file gives them.
struct CostApiRow {
  std::string name, provider, model;
  bool priced = false;  // false: no table in effect on the date
  std::string currency, effective_from, effective_until;
  double input_cache_hit = 0, input = 0, output = 0;  // $ per 1M tokens, in effect
  double input_cache_write = 0;                       // prompt tokens written to its cache
  // A daily window of lower prices ("16:30-00:30", UTC) and its prices; "" = none.
  std::string off_peak_utc;
  double off_peak_input_cache_hit = 0, off_peak_input = 0, off_peak_output = 0;
  // The date is a UTC minute inside that window: the prices in effect above are the off-peak
  // ones, and the table's standard prices are these.
  bool off_peak_now = false;
  double standard_input_cache_hit = 0, standard_input = 0, standard_output = 0;

  double blended() const { return cost_blended(input, output); }
};

struct CostReport {
  CostSource source;
  double gpu_usd_per_hour = 0;
  int gpus = 1;
  std::vector<CostRow> rows;
  std::string date;         // when the API prices are taken for: YYYY-MM-DD or YYYY-MM-DDTHH:MMZ
  std::string models_file;  // where they were read
  std::vector<CostApiRow> api;
};

// "no API model of FILE is priced on DATE" when the report has no API row, else "".
std::string cost_no_api_note(const CostReport& report);

// Our rows for every point; InputError on a price <= 0 or fewer than 1 GPU (names the flag).
std::vector<CostRow> cost_rows(const CostSource& source, double gpu_usd_per_hour, int gpus);

nlohmann::json cost_report_json(const CostReport& report);
// Where a report's throughput came from, in words, from its JSON "inputs": the file, the model,
// the engine (with the GPU), the kernel set and the launch options the bench ran with.
std::string cost_source_text(const nlohmann::json& inputs);
// From a cost JSON's api.models[i]: "deepseek-chat (deepseek, in effect 2025-02-26T16:30Z to
// 2025-09-05T16:00Z)" (", off-peak (UTC 16:30-00:30)" added when its off-peak prices are the ones
// shown), or "(..., no price on DATE)".
std::string cost_api_label(const nlohmann::json& model, const std::string& date);
// From a cost JSON: "API prices in effect on DATE (models file)..." and each API model's off-peak
// prices (its standard ones when the off-peak ones are shown), worded as the text report words
// them; without API models, the JSON's api.note ("no API model of ... is priced on DATE").
std::vector<std::string> cost_api_notes(const nlohmann::json& cost);
std::string cost_format_text(const CostReport& report);
std::string cost_format_markdown(const CostReport& report);

}  // namespace moebench
