// run.json and samples.jsonl of unexpected shapes are InputError naming the file (and line), never
// an escaped JSON exception (which input_error_of lets through, failing the test) or undefined
// behavior: inputs found by the run_json and run_samples fuzz targets.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "reports/run_load.h"
#include "tests/catch.h"
#include "tests/input_error_of.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using moebench::testing::input_error_of;

TEST_CASE("run.json with values of the wrong type or size is an InputError naming the field") {
  const auto dir = test::fixture_temp_dir("run-load-hostile");
  const std::string head = R"({"run_id":"r","backend":{"id":"oracle"},)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("suites":{"g":{"metrics":{"m":{"mean":1}},"cost":{"usd":"0.5"}}}})",
       "field 'suites.g.cost.usd' must be a number"},
      {R"("suites":{"g":{"metrics":{"m":{"mean":1}},"cost":{"usd":0.5,"cached_usd":"1"}}}})",
       "field 'suites.g.cost.cached_usd' must be a number or null"},
      {R"("suites":{"g":{"metrics":{"m":{"mean":1}},"errors":{"timeout":1e300}}}})",
       "field 'suites.g.errors.timeout' is not a count"},
      {R"("throughput":{"prompt_tokens":1e300},"suites":{}})",
       "field 'throughput.prompt_tokens' is not a count"},
      {R"("timings":{"total_s":1e999},"suites":{}})", "malformed JSON ("},
      {R"("options":{"samples":"yes"},"suites":{}})",
       "field 'options.samples' must be true or false, got \"yes\""},
      {R"("options":"x","suites":{}})", "field 'options' must be an object, got \"x\""},
      {R"("rescore":{"backend":"o","options":[]},"suites":{}})",
       "field 'rescore.options' must be an object, got []"},
      {R"("rescore":{"backend":"o","options":{"limit":-1e300}},"suites":{}})",
       "field 'rescore.options.limit' is not a count"},
      {R"("options":{"limit":-1e300},"suites":{}})", "field 'options.limit' is not a count"},
  };
  for (const auto& [rest, message] : cases) {
    std::ofstream(dir / "run.json") << head << rest;
    const std::string got = input_error_of([&] { run_load_summary(dir); });
    INFO(rest << " -> " << got);
    CHECK(got.find((dir / "run.json").string() + ": " + message) == 0);
  }
}

TEST_CASE("a run.json of another schema_version is refused naming the file and the version") {
  const auto dir = test::fixture_temp_dir("run-load-schema");
  const std::string run = R"({"run_id":"r","backend":{"id":"oracle"},"suites":{}})";
  for (const char* version : {"2", "\"1\"", "0"}) {
    std::ofstream(dir / "run.json") << R"({"schema_version":)" << version << "," << run.substr(1);
    const std::string got = input_error_of([&] { run_load_summary(dir); });
    INFO(version << " -> " << got);
    CHECK(got.find((dir / "run.json").string() + ": schema_version " + version +
                   " is not the one this moebench reads (1)") == 0);
  }
  std::ofstream(dir / "run.json") << R"({"schema_version":2,)" << run.substr(1);
  CHECK(input_error_of([&] { run_load_summary(dir); }).find("written by a newer moebench") !=
        std::string::npos);
  // Version 1, and a run.json from before the field, are read.
  std::ofstream(dir / "run.json") << R"({"schema_version":1,)" << run.substr(1);
  CHECK(run_load_summary(dir).run_id == "r");
  std::ofstream(dir / "run.json") << run;
  CHECK(run_load_summary(dir).run_id == "r");
}

TEST_CASE(
    "samples.jsonl lines with values of the wrong type or size are an InputError at file:line") {
  const auto dir = test::fixture_temp_dir("samples-load-hostile");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"suite":"g","doc_id":"d","tokens":{"prompt":1e300}})",
       ":1: field 'tokens.prompt' is not a count"},
      {R"({"suite":"g","doc_id":"d","latency_s":1.67e02489})", ":1: malformed JSON line ("},
      {R"({"suite":"g","doc_id":"d","filtered":5,"gold":[1],"prompt":{"a":1}})", "(no InputError)"},
      // A metric of another type was left out, so compare counted the document 0.
      {R"({"suite":"g","doc_id":"d","metrics":{"exact_match,strict-match":"yes"}})",
       ":1: field 'metrics.exact_match,strict-match' must be a number or null"},
      {R"({"suite":"g","doc_id":"d","metrics":[1]})", ":1: field 'metrics' must be an object"},
      {R"({"suite":"g","doc_id":"d","metrics":{"acc,none":null}})", "(no InputError)"},
  };
  for (const auto& [line, message] : cases) {
    std::ofstream(dir / "samples.jsonl") << line << "\n";
    const std::string got = input_error_of([&] { run_load_samples(dir); });
    INFO(line << " -> " << got);
    CHECK(got.find(message) != std::string::npos);
  }
  // A non-boolean "cached" is not cached (it used to escape as a JSON type error).
  std::ofstream(dir / "samples.jsonl") << R"({"suite":"g","doc_id":"d","cached":"yes"})"
                                       << "\n";
  CHECK_FALSE(run_load_samples(dir).at(0).cached);
}
