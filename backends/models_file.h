// The models file (backends/models.json, "schema": 1): named API models with their endpoint, key
// variable, dated price tables, client-side limits and generation defaults; loader and validation.
#pragma once

#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace moebench {

constexpr int kModelsSchemaVersion = 1;
// A 5-minute cache write per base input price (Anthropic's pricing page).
constexpr double kAnthropicCacheWriteFactor = 1.25;

// A daily window of lower prices within a table: DeepSeek's discount at UTC 16:30-00:30 from
// 2025-02-26 until 16:00 UTC on 2025-09-05. USD per 1M tokens.
struct ModelOffPeak {
  std::string utc;                 // "HH:MM-HH:MM" in UTC; past midnight when the end is earlier
  int start_min = 0, end_min = 0;  // minutes after 00:00 UTC (end_min up to 24 * 60)
  double input_cache_hit = 0, input = 0, output = 0;

  bool contains(std::time_t t) const;  // whether the instant falls in the window
  nlohmann::json to_json() const;      // as in the models file: {utc, per_million{...}}
};

// One dated price table, USD per 1M tokens. effective_from is inclusive, effective_until
// exclusive ("" = still in effect); each "YYYY-MM-DD" (its 00:00 UTC) or "YYYY-MM-DDTHH:MMZ":
// a provider's change at a time of day (DeepSeek's at 16:00 UTC) is priced from that minute.
struct ModelPrice {
  std::string currency = "USD";
  std::string effective_from, effective_until;
  double input_cache_hit = 0;  // prompt tokens served from the provider's prefix cache
  double input = 0;            // cache-miss prompt tokens
  // Prompt tokens written to the provider's cache (Anthropic's 5-minute cache writes). Default:
  // 1.25 x input for Anthropic, whose pricing page bills 5-minute writes so; input for the others.
  double input_cache_write = 0;
  double output = 0;  // completion tokens, reasoning included
  std::optional<ModelOffPeak> off_peak;

  // Artificial Analysis' blended price: (3 x cache-miss input + 1 x output) / 4.
  double blended() const { return (3 * input + output) / 4; }
  // As in the models file: {currency, effective_from, [effective_until], per_million{...}}.
  nlohmann::json to_json() const;
  // As BackendInfo::prices wants it (run.json's cost): {input, cached_input, cache_write_input,
  // output, currency, effective_from, [off_peak{utc, input, cached_input, output}]}.
  nlohmann::json to_backend_prices() const;
};

// Caps moebench puts on itself when calling the model (0 = no cap), not the provider's quotas.
struct ModelLimits {
  int max_in_flight = 8;
  long requests_per_minute = 0;
  long tokens_per_minute = 0;
};

// Generation settings that replace the suite's when set (a reasoning model needs a larger token
// budget than a suite's 256; o1 rejects any temperature but 1; DeepSeek recommends temperature
// 0.6 and top_p 0.95 for R1).
struct ModelGeneration {
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> max_tokens;
  std::optional<int> thinking_budget;  // tokens of reasoning on top of max_tokens
};

// How requests are put on the wire for this model.
struct ModelApi {
  std::string endpoint = "chat";  // "chat" | "completions" (openai wire format only)
  bool stream = true;             // streamed: TTFT and inter-chunk latencies are measured
  bool prompt_logprobs = false;   // /completions echo + logprobs: choice suites scored by acc
  bool n_per_request = true;      // sends n; false: n separate requests (Anthropic, DeepSeek)
  std::string max_tokens_field = "max_tokens";  // o1 and later: "max_completion_tokens"
  std::vector<std::string> omit;  // parameters never sent: temperature, top_p, seed, stop
};

// Timeouts, retries and size caps of the HTTP client.
struct ModelTransport {
  double connect_timeout_s = 10;
  double read_timeout_s = 120;   // the longest silence between bytes
  double total_timeout_s = 900;  // one attempt, first byte sent to last byte read
  int max_retries = 6;           // on 429, 5xx, connection and protocol errors
  double backoff_base_s = 1;     // exponential backoff with full jitter: U(0, base * 2^attempt)
  double backoff_max_s = 60;
  double retry_after_max_s = 600;  // a longer Retry-After fails the sample instead of stalling
  long max_response_bytes = 32L << 20;
};

struct ModelEntry {
  std::string name;      // the key in "models"
  std::string provider;  // openai | anthropic | deepseek | openai-compatible
  std::string base_url;
  std::string model;        // the provider's model id
  std::string api_key_env;  // the NAME of the variable holding the key; "" = no key
  // The model as published score tables name it (tasks/published_scores.json), e.g. "DeepSeek-V3";
  // reports set such runs against the published numbers. "" = none.
  std::string published_as;
  std::vector<ModelPrice> prices;  // sorted by effective_from, not overlapping
  ModelLimits limits;
  ModelGeneration generation;
  ModelApi api;
  ModelTransport transport;

  nlohmann::json to_json() const;
};

struct ModelsFile {
  std::string path;  // where it was read from: every error message starts with it
  int schema = kModelsSchemaVersion;
  std::vector<ModelEntry> models;  // sorted by name (nlohmann::json keeps object keys sorted)

  // InputError naming the field, e.g. "backends/models.json: models.o1.prices[1].effective_from:
  // 2024-12-01 is before prices[0] ends (2025-01-01): tables overlap".
  void validate() const;
  // nullptr when absent.
  const ModelEntry* find(const std::string& name) const;
  // InputError listing the known names when absent.
  const ModelEntry& at(const std::string& name) const;
};

// Reads and validates the file; InputError (naming file and field) on any problem.
ModelsFile models_file_load(const std::string& path);
// The same from parsed JSON; `path` only names the source in messages.
ModelsFile models_file_parse(const nlohmann::json& j, const std::string& path);

// The price table in effect at `when` ("YYYY-MM-DD", its 00:00 UTC, or "YYYY-MM-DDTHH:MMZ"),
// if any.
std::optional<ModelPrice> models_price_at(const ModelEntry& model, const std::string& when);

// True for a real calendar date written YYYY-MM-DD.
bool models_date_valid(const std::string& date);
// True for such a date or a UTC time of one written YYYY-MM-DDTHH:MMZ.
bool models_instant_valid(const std::string& when);
// `t` as YYYY-MM-DDTHH:MMZ (UTC, the price tables' resolution), and back: a valid instant
// (models_instant_valid) as time_t.
std::string models_instant_at(std::time_t t);
std::time_t models_instant_time(const std::string& when);

}  // namespace moebench
