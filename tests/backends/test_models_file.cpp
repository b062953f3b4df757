// The models file (backends/models.json) through `moebench cost`: the shipped file loads, the
// price table in effect is picked by date, and each validation error names its field.
// NOTE: these drive the binary because test_reports links moebench_reports only, and the loader
// lives in moebench_backends with the backends that will read it.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kShipped = fs::path(MOEBENCH_SOURCE_DIR) / "backends" / "models.json";

json shipped() {
  std::ifstream in(kShipped);
  return json::parse(in);
}

struct CostRun {
  int exit_code;
  std::string output;
  json report;  // the parsed JSON on success
};

// `moebench cost` with a throughput that does not matter here, over `models` on `date`.
CostRun cost_api(const fs::path& dir, const fs::path& models, const std::string& date,
                 const std::string& compare) {
  std::string cmd = testing::moebench_bin() +
                    " cost --decode-tps 1000 --gpu-hour-usd 2 --models '" + models.string() +
                    "' --date " + date + " --format json";
  if (!compare.empty()) cmd += " --compare " + compare;
  const testing::CommandResult r = testing::run_command(cmd, dir);
  CostRun out{r.exit_code, r.output, json()};
  if (r.exit_code == 0) out.report = json::parse(r.output);
  return out;
}

// The error line for a mutated copy of the shipped file.
std::string error_for(const fs::path& dir, const std::function<void(json&)>& mutate) {
  json j = shipped();
  mutate(j);
  const fs::path f = dir / "models.json";
  std::ofstream(f) << j.dump(2);
  const CostRun r = cost_api(dir, f, "2025-09-05", "");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  const std::string prefix = "moebench: error: " + f.string() + ": ";
  if (r.output.rfind(prefix, 0) != 0) return "(unexpected) " + r.output;
  std::string msg = r.output.substr(prefix.size());
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  return msg;
}

const json& api_model(const CostRun& r, const std::string& name) {
  for (const json& m : r.report["api"]["models"]) {
    if (m["name"] == name) return m;
  }
  FAIL("no API row " + name + " in " + r.report.dump());
  throw std::logic_error("unreachable");
}

void check_prices(const json& m, double hit, double in, double out, const std::string& from) {
  INFO(m.dump());
  CHECK(m["priced"] == true);
  CHECK(m["currency"] == "USD");
  CHECK(m["effective_from"] == from);
  CHECK(std::abs(m["input_cache_hit_usd_per_million"].get<double>() - hit) < 1e-12);
  CHECK(std::abs(m["input_usd_per_million"].get<double>() - in) < 1e-12);
  CHECK(std::abs(m["output_usd_per_million"].get<double>() - out) < 1e-12);
  CHECK(std::abs(m["blended_usd_per_million"].get<double>() - (3 * in + out) / 4) < 1e-12);
}

}  // namespace

// api-docs.deepseek.com/quick_start/pricing: "Starting from 16:00 UTC Time on Sept 5th, 2025, we
// will apply the following price list and cancel the nighttime discount"; until then standard
// prices (UTC 00:30-16:30) and a discount (UTC 16:30-00:30) of $0.035 / $0.135 / $0.550 for both
// models, from the night DeepSeek announced it (2025-02-26, its first window 16:30 UTC that day).
TEST_CASE("the models file gives V3 and R1 prices until 16:00 UTC on 2025-09-05 and V3.1 after") {
  const fs::path dir = testing::temp_dir("models-dates");
  const std::string all = "deepseek-chat,deepseek-reasoner,o1,local";
  for (const char* when : {"2025-09-04", "2025-09-05", "2025-09-05T15:59Z"}) {
    const CostRun before = cost_api(dir, kShipped, when, all);
    INFO(when << ": " << before.output);
    REQUIRE(before.exit_code == 0);
    CHECK(before.report["api"]["date"] == when);
    check_prices(api_model(before, "deepseek-chat"), 0.07, 0.27, 1.10, "2025-02-26T16:30Z");
    CHECK(api_model(before, "deepseek-chat")["effective_until"] == "2025-09-05T16:00Z");
    check_prices(api_model(before, "deepseek-reasoner"), 0.14, 0.55, 2.19, "2025-02-26T16:30Z");
    for (const char* model : {"deepseek-chat", "deepseek-reasoner"}) {
      const json& off = api_model(before, model)["off_peak"];
      INFO(model << " " << off.dump());
      CHECK(off["utc"] == "16:30-00:30");
      CHECK(std::abs(off["input_cache_hit_usd_per_million"].get<double>() - 0.035) < 1e-12);
      CHECK(std::abs(off["input_usd_per_million"].get<double>() - 0.135) < 1e-12);
      CHECK(std::abs(off["output_usd_per_million"].get<double>() - 0.55) < 1e-12);
    }
    check_prices(api_model(before, "o1"), 7.50, 15.0, 60.0, "2024-12-17");
    CHECK(api_model(before, "o1")["off_peak"].is_null());
    CHECK(api_model(before, "local")["priced"] == false);
    CHECK(api_model(before, "local")["provider"] == "openai-compatible");
  }
  // Before the discount: the same standard prices, no off-peak window.
  const CostRun early = cost_api(dir, kShipped, "2025-02-26T16:29Z", "deepseek-chat");
  REQUIRE(early.exit_code == 0);
  check_prices(api_model(early, "deepseek-chat"), 0.07, 0.27, 1.10, "2025-02-08");
  CHECK(api_model(early, "deepseek-chat")["off_peak"].is_null());

  const CostRun after = cost_api(dir, kShipped, "2025-09-05T16:00Z", all);
  REQUIRE(after.exit_code == 0);
  check_prices(api_model(after, "deepseek-chat"), 0.07, 0.56, 1.68, "2025-09-05T16:00Z");
  check_prices(api_model(after, "deepseek-reasoner"), 0.07, 0.56, 1.68, "2025-09-05T16:00Z");
  CHECK(api_model(after, "deepseek-chat")["off_peak"].is_null());
  CHECK(api_model(after, "deepseek-chat")["effective_until"].is_null());
  CHECK(std::abs(api_model(after, "deepseek-chat")["blended_usd_per_million"].get<double>() -
                 0.84) < 1e-12);
  fs::remove_all(dir);
}

TEST_CASE("without --compare only the models priced on the date are listed") {
  const fs::path dir = testing::temp_dir("models-default");
  // 2025-01-01: o1 (from 2024-12-17), GPT-4o and 4o-mini (2024-10-01) and Claude Haiku 3.5
  // (2024-11-04); R1 starts 2025-01-20, V3's table 2025-02-08 and Claude Sonnet 4 2025-05-22.
  CostRun r = cost_api(dir, kShipped, "2025-01-01", "");
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> names;
  for (const json& m : r.report["api"]["models"]) names.push_back(m["name"]);
  CHECK(names == std::vector<std::string>{"claude-3-5-haiku", "gpt-4o", "gpt-4o-mini", "o1"});
  // Before o1's table nothing is priced; asked for by name it is listed as unpriced.
  r = cost_api(dir, kShipped, "2024-12-16", "o1");
  REQUIRE(r.exit_code == 0);
  CHECK(api_model(r, "o1")["priced"] == false);
  CHECK(api_model(r, "o1")["blended_usd_per_million"].is_null());
  r = cost_api(dir, kShipped, "2025-09-05", "deepseek-chat,gpt-9");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find(
            "--compare: no model 'gpt-9' in " + kShipped.string() +
            " (it has: claude-3-5-haiku, claude-sonnet-4, deepseek-chat, deepseek-reasoner, "
            "gpt-4o, gpt-4o-mini, local, o1)") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("models file type errors name the field") {
  const fs::path dir = testing::temp_dir("models-types");
  CHECK(error_for(dir, [](json& j) {
          j["models"]["deepseek-chat"]["prices"][0]["per_million"]["output"] = "1.10";
        }) == "models.deepseek-chat.prices[0].per_million.output: expected a number");
  CHECK(error_for(dir, [](json& j) { j["models"]["o1"].erase("base_url"); }) ==
        "models.o1.base_url: missing");
  CHECK(error_for(dir, [](json& j) {
          j["models"]["deepseek-reasoner"]["prices"][1]["per_million"].erase("input_cache_hit");
        }) == "models.deepseek-reasoner.prices[1].per_million.input_cache_hit: missing");
  CHECK(error_for(dir, [](json& j) { j["models"]["local"]["generation"]["max_tokns"] = 5; }) ==
        "models.local.generation.max_tokns: unknown field (expected one of: temperature, "
        "top_p, max_tokens, thinking_budget)");
  CHECK(error_for(dir, [](json& j) { j["schema"] = 2; }) ==
        "schema: version 2 is not supported (this moebench reads 1)");
  fs::remove_all(dir);
}

TEST_CASE(
    "models file value errors name the field for dates and order and overlap and provider and "
    "key") {
  const fs::path dir = testing::temp_dir("models-values");
  CHECK(error_for(dir,
                  [](json& j) {
                    j["models"]["deepseek-chat"]["prices"][0]["effective_from"] = "2025-02-30";
                  }) ==
        "models.deepseek-chat.prices[0].effective_from: '2025-02-30' is not a YYYY-MM-DD "
        "date or YYYY-MM-DDTHH:MMZ time (UTC)");
  CHECK(error_for(dir,
                  [](json& j) {
                    j["models"]["deepseek-chat"]["prices"][1]["effective_until"] =
                        "2025-09-05T24:00Z";
                  }) ==
        "models.deepseek-chat.prices[1].effective_until: '2025-09-05T24:00Z' is not a YYYY-MM-DD "
        "date or YYYY-MM-DDTHH:MMZ time (UTC)");
  CHECK(error_for(dir,
                  [](json& j) {
                    j["models"]["deepseek-chat"]["prices"][1]["off_peak"]["utc"] = "16:30-16:30";
                  }) ==
        "models.deepseek-chat.prices[1].off_peak.utc: '16:30-16:30' is not a UTC window "
        "HH:MM-HH:MM (e.g. 16:30-00:30) of two different times");
  CHECK(error_for(dir, [](json& j) {
          j["models"]["deepseek-chat"]["prices"][1]["off_peak"]["per_million"]["input"] = -1;
        }) == "models.deepseek-chat.prices[1].off_peak.per_million.input: must be >= 0");
  CHECK(
      error_for(
          dir, [](json& j) { j["models"]["o1"]["prices"][0]["effective_until"] = "2024-12-17"; }) ==
      "models.o1.prices[0].effective_until: 2024-12-17 is not after effective_from "
      "2024-12-17");
  CHECK(error_for(dir,
                  [](json& j) {
                    json& p = j["models"]["deepseek-chat"]["prices"];
                    std::swap(p[1], p[2]);
                  }) ==
        "models.deepseek-chat.prices[2].effective_from: 2025-02-26T16:30Z is not after "
        "prices[1]'s 2025-09-05T16:00Z: tables must be sorted by date");
  CHECK(error_for(dir,
                  [](json& j) {
                    j["models"]["deepseek-chat"]["prices"][2]["effective_from"] = "2025-09-05";
                  }) ==
        "models.deepseek-chat.prices[2].effective_from: 2025-09-05 is before prices[1] ends "
        "(2025-09-05T16:00Z): tables overlap");
  CHECK(error_for(dir,
                  [](json& j) {
                    j["models"]["deepseek-reasoner"]["prices"][1].erase("effective_until");
                  }) ==
        "models.deepseek-reasoner.prices[1].effective_until: missing, but prices[2] starts "
        "2025-09-05T16:00Z: only the last table may be open-ended");
  CHECK(error_for(dir, [](json& j) { j["models"]["o1"]["provider"] = "closedai"; }) ==
        "models.o1.provider: unknown provider 'closedai' (expected openai, anthropic, deepseek or "
        "openai-compatible)");
  const std::string key_error = error_for(
      dir, [](json& j) { j["models"]["o1"]["api_key_env"] = "sk-proj-0123456789abcdef"; });
  CHECK(key_error ==
        "models.o1.api_key_env: expected the NAME of an environment variable (e.g. "
        "DEEPSEEK_API_KEY), not a key");
  CHECK(key_error.find("sk-proj") == std::string::npos);  // a pasted key is never echoed
  fs::remove_all(dir);
}
