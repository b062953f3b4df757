// The models file's api and transport sections, the shipped entries, and `--backend api:<name>`
// options: overrides, bad values named, the key read from the environment and never shown.
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "backends/api/api_anthropic.h"
#include "backends/api/api_backend.h"
#include "backends/api/api_options.h"
#include "common/error.h"
#include "common/token_cost.h"
#include "harness/runner/backend_factory.h"
#include "tests/catch.h"
#include "tests/input_error_of.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using nlohmann::json;

namespace {

json minimal(const json& extra) {
  json m = {{"provider", "openai-compatible"},
            {"base_url", "http://127.0.0.1:9/v1"},
            {"model", "x"},
            {"prices", json::array()}};
  if (extra.is_object()) m.update(extra);
  return {{"schema", 1}, {"models", {{"m", m}}}};
}

std::string parse_error(const json& file) {
  try {
    models_file_parse(file, "models.json").validate();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("api and transport sections parse with provider defaults") {
  ModelsFile f = models_file_parse(minimal({}), "models.json");
  const ModelEntry& m = f.models.at(0);
  CHECK(m.api.endpoint == "chat");
  CHECK(m.api.stream);
  CHECK(m.api.n_per_request);
  CHECK(m.transport.max_retries == 6);
  json anthropic = minimal({{"provider", "anthropic"}});
  CHECK_FALSE(models_file_parse(anthropic, "m.json").models.at(0).api.n_per_request);
  json custom = minimal({{"api",
                          {{"endpoint", "completions"},
                           {"prompt_logprobs", true},
                           {"stream", false},
                           {"omit", {"seed"}}}},
                         {"transport", {{"read_timeout_s", 5}, {"max_response_mb", 1}}}});
  const ModelEntry c = models_file_parse(custom, "m.json").models.at(0);
  CHECK(c.api.endpoint == "completions");
  CHECK(c.api.prompt_logprobs);
  CHECK_FALSE(c.api.stream);
  CHECK(c.api.omit == std::vector<std::string>{"seed"});
  CHECK(c.transport.read_timeout_s == 5);
  CHECK(c.transport.max_response_bytes == (1 << 20));
}

TEST_CASE("bad api and transport values name their field") {
  CHECK(
      parse_error(minimal({{"api", {{"endpoint", "embeddings"}}}})).find("models.m.api.endpoint") !=
      std::string::npos);
  CHECK(parse_error(minimal({{"api", {{"omit", {"logit_bias"}}}}})).find("models.m.api.omit[0]") !=
        std::string::npos);
  CHECK(parse_error(minimal({{"api", {{"strem", true}}}})).find("models.m.api.strem") !=
        std::string::npos);
  CHECK(parse_error(minimal({{"api", {{"stream", "yes"}}}})).find("expected true or false") !=
        std::string::npos);
  CHECK(parse_error(minimal({{"provider", "anthropic"}, {"api", {{"prompt_logprobs", true}}}}))
            .find("no prompt log-probabilities") != std::string::npos);
  // Refused when the file is read, not at the first request of a run.
  CHECK(parse_error(minimal({{"provider", "anthropic"}, {"api", {{"n_per_request", true}}}})) ==
        "models.json: models.m.api.n_per_request: the Anthropic Messages API returns one answer "
        "per request (set it false or leave it out)");
  CHECK(parse_error(minimal({{"transport", {{"read_timeout_s", 0}}}}))
            .find("models.m.transport.read_timeout_s: must be > 0") != std::string::npos);
  CHECK(parse_error(minimal({{"transport", {{"max_retries", -1}}}})).find("max_retries") !=
        std::string::npos);
}

TEST_CASE("the shipped models file has DeepSeek, OpenAI, Anthropic and a local server") {
  ModelsFile f = models_file_load(std::string(MOEBENCH_SOURCE_DIR) + "/backends/models.json");
  for (const char* name : {"deepseek-chat", "deepseek-reasoner", "o1", "gpt-4o", "gpt-4o-mini",
                           "claude-sonnet-4", "claude-3-5-haiku", "local"}) {
    CHECK(f.find(name) != nullptr);
  }
  CHECK(f.at("o1").api.max_tokens_field == "max_completion_tokens");
  CHECK(f.at("claude-sonnet-4").provider == "anthropic");
  CHECK(f.at("local").api_key_env.empty());
  for (const ModelEntry& m : f.models) {
    if (m.name != "local") CHECK_FALSE(m.prices.empty());
  }
}

TEST_CASE("backend options override the entry and are checked") {
  ModelsFile f = models_file_load(std::string(MOEBENCH_SOURCE_DIR) + "/backends/models.json");
  ModelEntry m = api_model_with_options(f.at("local"), {{"base_url", "http://127.0.0.1:5/v1"},
                                                        {"max_in_flight", "512"},
                                                        {"stream", "0"},
                                                        {"backoff_base_s", "0.01"},
                                                        {"max_tokens", "99"}});
  CHECK(m.base_url == "http://127.0.0.1:5/v1");
  CHECK(m.limits.max_in_flight == 512);
  CHECK_FALSE(m.api.stream);
  CHECK(m.transport.backoff_base_s == 0.01);
  CHECK(m.generation.max_tokens == 99);
  CHECK(testing::input_error_of([&] {
          api_model_with_options(m, {{"max_in_flight", "many"}});
        }).find("max_in_flight=many") != std::string::npos);
  CHECK(testing::input_error_of([&] {
          api_model_with_options(m, {{"streem", "1"}});
        }).find("unknown option") != std::string::npos);
}

TEST_CASE("an API model whose key variable is unset is refused, naming the variable only") {
  RunOptions o;
  o.models_file = std::string(MOEBENCH_SOURCE_DIR) + "/backends/models.json";
  o.backend = "api:deepseek-chat";
  ::unsetenv("DEEPSEEK_API_KEY");
  CHECK(testing::input_error_of([&] { backend_create(o); }).find("DEEPSEEK_API_KEY") !=
        std::string::npos);
  ::setenv("DEEPSEEK_API_KEY", "sk-test-secret-123", 1);
  auto b = backend_create(o);
  BackendInfo info = b->info();
  CHECK(info.id == "api:deepseek-chat");
  CHECK(info.family == "deepseek");
  CHECK(info.chat);
  CHECK_FALSE(info.completion);
  CHECK(info.prices.contains("input"));  // the table in effect today
  CHECK(info.to_json().dump().find("sk-test-secret-123") == std::string::npos);
  CHECK(info.cache_key().rfind("api:deepseek-chat#", 0) == 0);
  ::unsetenv("DEEPSEEK_API_KEY");
  o.backend = "api:nope";
  CHECK(testing::input_error_of([&] { backend_create(o); }).find("deepseek-chat") !=
        std::string::npos);
  o.backend = "api:local";
  o.backend_options = {{"base_url", "ftp://x"}};
  CHECK(testing::input_error_of([&] { backend_create(o); }).find("base_url") != std::string::npos);
}

TEST_CASE("the cache tag follows what shapes answers, not the URL or the limits") {
  ModelsFile f = models_file_load(std::string(MOEBENCH_SOURCE_DIR) + "/backends/models.json");
  auto tag = [&](const std::map<std::string, std::string>& opts) {
    return ApiBackend(api_model_with_options(f.at("local"), opts), {}).info().cache_key();
  };
  const std::string base = tag({});
  CHECK(tag({{"base_url", "http://10.0.0.1:8000/v1"}, {"max_in_flight", "3"}}) == base);
  CHECK(tag({{"stream", "0"}}) == base);
  CHECK(tag({{"max_tokens", "5"}}) != base);
  CHECK(tag({{"model", "other"}}) != base);
}

// int fields were cast from the file's 64-bit value: max_tokens 4294967297 became 1 and passed.
TEST_CASE("integer fields past their range are refused by name") {
  const json big = 4294967297L;
  const std::pair<json, std::string> cases[] = {
      {minimal({{"generation", {{"max_tokens", big}}}}), "models.m.generation.max_tokens"},
      {minimal({{"generation", {{"thinking_budget", big}}}}),
       "models.m.generation.thinking_budget"},
      {minimal({{"limits", {{"max_in_flight", big}}}}), "models.m.limits.max_in_flight"},
      {minimal({{"transport", {{"max_retries", big}}}}), "models.m.transport.max_retries"},
      {minimal({{"limits", {{"requests_per_minute", 18446744073709551615UL}}}}),
       "models.m.limits.requests_per_minute"},
  };
  for (const auto& [file, field] : cases) {
    INFO(field);
    const std::string error = parse_error(file);
    CAPTURE(error);
    CHECK(error.starts_with("models.json: " + field + ": must be at most "));
  }
}

// Anthropic bills a 5-minute cache write at 1.25x the base input price and a cache read at 0.1x
// (platform.claude.com/docs/en/about-claude/pricing: Sonnet 4 $3 input, $3.75 5m cache writes,
// $0.30 cache hits; Haiku 3.5 $0.80, $1, $0.08).
TEST_CASE("anthropic cache writes cost 1.25 times the input price and cache reads the hit price") {
  ModelsFile f = models_file_load(std::string(MOEBENCH_SOURCE_DIR) + "/backends/models.json");
  const json usage = {{"input_tokens", 1000},
                      {"cache_creation_input_tokens", 2000},
                      {"cache_read_input_tokens", 4000},
                      {"output_tokens", 100}};
  const TokenCounts t = anthropic_usage(usage);
  CHECK(t.prompt == 7000);
  CHECK(t.cached_prompt == 4000);
  const struct {
    const char* model;
    double input, write, read, output;
  } cases[] = {{"claude-sonnet-4", 3.0, 3.75, 0.30, 15.0},
               {"claude-3-5-haiku", 0.8, 1.0, 0.08, 4.0}};
  for (const auto& c : cases) {
    INFO(c.model);
    const auto price = models_price_at(f.at(c.model), "2025-06-01");
    REQUIRE(price);
    const double want = (1000 * c.input + 2000 * c.write + 4000 * c.read + 100 * c.output) / 1e6;
    const std::optional<double> usd = tokens_cost_usd(t, price->to_backend_prices());
    REQUIRE(usd);
    CHECK(std::abs(*usd - want) < 1e-12);
  }
  // A table that does not give the write price: 1.25 x input for Anthropic, input for the others
  // (which report no cache writes).
  const json table = {
      {{"currency", "USD"},
       {"effective_from", "2025-01-01"},
       {"per_million", {{"input_cache_hit", 0.1}, {"input", 2.0}, {"output", 8.0}}}}};
  const auto write_price = [&](const char* provider) {
    json file = minimal({{"provider", provider}, {"prices", table}});
    return models_file_parse(file, "m.json").models.at(0).prices.at(0).input_cache_write;
  };
  CHECK(write_price("anthropic") == 2.5);
  CHECK(write_price("openai") == 2.0);
}

// DeepSeek's night-time discount (UTC 16:30-00:30 from 2025-02-26 until 16:00 UTC on 2025-09-05):
// a call sent in the window is billed at the off-peak prices, one sent outside at the standard.
TEST_CASE("the off-peak window of a price table and the tokens billed in it") {
  ModelsFile f = models_file_load(std::string(MOEBENCH_SOURCE_DIR) + "/backends/models.json");
  const auto price = models_price_at(f.at("deepseek-reasoner"), "2025-06-01T12:00Z");
  REQUIRE(price);
  REQUIRE(price->off_peak);
  const ModelOffPeak& w = *price->off_peak;
  const std::time_t day = 1748736000;  // 2025-06-01T00:00Z
  auto at = [&](int h, int m) { return day + h * 3600 + m * 60; };
  CHECK_FALSE(w.contains(at(16, 29)));
  CHECK(w.contains(at(16, 30)));
  CHECK(w.contains(at(23, 59)));
  CHECK(w.contains(at(0, 29)));
  CHECK_FALSE(w.contains(at(0, 30)));
  CHECK_FALSE(w.contains(at(12, 0)));
  CHECK_FALSE(models_price_at(f.at("deepseek-reasoner"), "2025-09-05T16:00Z")->off_peak);
  // 1000 prompt tokens (400 cache hits) and 100 output at the standard prices, and the same again
  // sent off-peak.
  TokenCounts standard;
  standard.prompt = 1000;
  standard.cached_prompt = 400;
  standard.completion = 100;
  TokenCounts night = standard;
  night.all_off_peak();
  TokenCounts both = standard;
  both += night;
  const double want =
      (600 * 0.55 + 400 * 0.14 + 100 * 2.19) / 1e6 + (600 * 0.135 + 400 * 0.035 + 100 * 0.55) / 1e6;
  const std::optional<double> usd = tokens_cost_usd(both, price->to_backend_prices());
  REQUIRE(usd);
  CHECK(std::abs(*usd - want) < 1e-12);
}
