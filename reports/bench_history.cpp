// bench_load_run / bench_load_history / bench_compare over Google Benchmark JSON.
#include "reports/bench_history.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "common/error.h"
#include "common/json_file.h"
#include "reports/site_html.h"
#include "reports/stat_tests.h"

namespace moebench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double unit_to_ns(const std::string& unit, const std::string& where) {
  if (unit == "ns") return 1;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  throw input_error(where, "unknown time_unit '" + unit + "'");
}

// obj[key] when it is a string (a bool), `fallback` when absent or null; InputError naming the
// field for any other type (json::value() would throw a type_error past the callers).
std::string string_or(const json& obj, const char* key, const std::string& fallback,
                      const std::string& where) {
  if (!obj.contains(key) || obj[key].is_null()) return fallback;
  if (!obj[key].is_string())
    throw input_error(where, std::string("field '") + key + "' must be a string");
  return obj[key].get<std::string>();
}

bool bool_or(const json& obj, const char* key, bool fallback, const std::string& where) {
  if (!obj.contains(key) || obj[key].is_null()) return fallback;
  if (!obj[key].is_boolean())
    throw input_error(where, std::string("field '") + key + "' must be a boolean");
  return obj[key].get<bool>();
}

}  // namespace

BenchRun bench_load_run(const fs::path& file) {
  const std::string where = file.string();
  const json j = json_read_file(file, where, "cannot read");
  if (!j.is_object() || !j.contains("benchmarks") || !j["benchmarks"].is_array()) {
    throw input_error(where, "missing array 'benchmarks' (not Google Benchmark JSON?)");
  }
  BenchRun run;
  run.file = file;
  const json context = j.contains("context") ? j["context"] : json::object();
  if (!context.is_object()) throw input_error(where, "field 'context' must be an object");
  run.date = string_or(context, "date", "", where + ": context");
  run.host = string_or(context, "host_name", "", where + ": context");
  std::map<std::string, double> median_aggregate;
  size_t index = 0;
  for (const json& b : j["benchmarks"]) {
    const std::string at = where + ": benchmarks[" + std::to_string(index++) + "]";
    if (!b.is_object() || !b.contains("name") || !b["name"].is_string()) {
      throw input_error(at, "missing string field 'name'");
    }
    const std::string name = string_or(b, "run_name", b["name"].get<std::string>(), at);
    if (bool_or(b, "error_occurred", false, at)) {
      run.errors[name] = string_or(b, "error_message", "error", at);
      continue;
    }
    if (!b.contains("real_time") || !b["real_time"].is_number()) {
      throw input_error(at, "missing number field 'real_time'");
    }
    const double ns =
        b["real_time"].get<double>() * unit_to_ns(string_or(b, "time_unit", "ns", at), at);
    const std::string type = string_or(b, "run_type", "iteration", at);
    if (type == "iteration") {
      run.times_ns[name].push_back(ns);
    } else if (string_or(b, "aggregate_name", "", at) == "median") {
      median_aggregate[name] = ns;
    }
  }
  for (const auto& [name, ns] : median_aggregate) {
    if (!run.times_ns.count(name)) run.times_ns[name] = {ns};
  }
  return run;
}

std::vector<BenchRun> bench_load_history(const fs::path& dir, std::vector<std::string>* problems) {
  std::vector<BenchRun> runs;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return runs;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    try {
      runs.push_back(bench_load_run(entry.path()));
    } catch (const InputError& e) {
      problems->push_back(e.what());
    }
  }
  std::sort(runs.begin(), runs.end(), [](const BenchRun& a, const BenchRun& b) {
    return std::tie(a.date, a.file) < std::tie(b.date, b.file);
  });
  return runs;
}

std::vector<BenchDelta> bench_compare(const BenchRun& base, const BenchRun& next, double threshold,
                                      double alpha) {
  std::set<std::string> names;
  for (const auto& [n, t] : base.times_ns) names.insert(n);
  for (const auto& [n, t] : next.times_ns) names.insert(n);
  std::vector<BenchDelta> out;
  for (const std::string& name : names) {
    BenchDelta d;
    d.name = name;
    auto a = base.times_ns.find(name);
    auto b = next.times_ns.find(name);
    if (a != base.times_ns.end()) {
      d.base_reps = a->second.size();
      d.base_median_ns = stats_median(a->second);
    }
    if (b != next.times_ns.end()) {
      d.new_reps = b->second.size();
      d.new_median_ns = stats_median(b->second);
    }
    if (!d.base_median_ns || !d.new_median_ns) {
      d.note = d.base_median_ns ? "absent from the new run" : "new benchmark";
      out.push_back(d);
      continue;
    }
    d.change = *d.base_median_ns > 0 ? *d.new_median_ns / *d.base_median_ns - 1 : 0;
    if (d.base_reps >= 2 && d.new_reps >= 2) {
      d.p_value = stats_mann_whitney_u(a->second, b->second).p_value;
      d.significant = *d.p_value < alpha;
    }
    if (d.base_reps < kBenchMinRepetitions || d.new_reps < kBenchMinRepetitions) {
      d.note = d.p_value ? "fewer than 9 repetitions: the U test is weak"
                         : "fewer than 2 repetitions: no U test";
    }
    d.regression = d.significant && d.change > threshold;
    d.improvement = d.significant && d.change < -threshold;
    out.push_back(d);
  }
  return out;
}

std::string bench_compare_markdown(const BenchRun& base, const BenchRun& next,
                                   const std::vector<BenchDelta>& deltas, double threshold,
                                   double alpha) {
  char line[160];
  std::snprintf(line, sizeof(line), "two-sided Mann-Whitney U, alpha %.3g, threshold %.1f%%", alpha,
                100 * threshold);
  std::string out = "**base** `" + md_cell(base.file.filename().string()) + "` (" +
                    md_cell(base.date) + ") vs **new** `" + md_cell(next.file.filename().string()) +
                    "` (" + md_cell(next.date) + "): " + line + "\n\n" +
                    "| benchmark | base median | new median | change | p | reps | verdict |\n"
                    "|---|---:|---:|---:|---:|---:|---|\n";
  for (const BenchDelta& d : deltas) {
    std::string p = "—", change = "—";
    if (d.p_value) {
      std::snprintf(line, sizeof(line), "%.4f", *d.p_value);
      p = line;
    }
    if (d.base_median_ns && d.new_median_ns) {
      std::snprintf(line, sizeof(line), "%+.1f%%", 100 * d.change);
      change = line;
    }
    const std::string verdict = d.regression     ? "**regression**"
                                : d.improvement  ? "faster"
                                : d.note.empty() ? "no significant change"
                                                 : d.note;
    out += "| " + md_cell(d.name) + " | " +
           (d.base_median_ns ? bench_format_ns(*d.base_median_ns) : "—") + " | " +
           (d.new_median_ns ? bench_format_ns(*d.new_median_ns) : "—") + " | " + change + " | " +
           p + " | " + std::to_string(d.base_reps) + "/" + std::to_string(d.new_reps) + " | " +
           verdict + " |\n";
  }
  return out;
}

bool bench_is_json_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && path.filename() != "run.json";
}

std::string bench_format_ns(double ns) {
  char buf[32];
  if (ns >= 1e9) {
    std::snprintf(buf, sizeof(buf), "%.3g s", ns / 1e9);
  } else if (ns >= 1e6) {
    std::snprintf(buf, sizeof(buf), "%.3g ms", ns / 1e6);
  } else if (ns >= 1e3) {
    std::snprintf(buf, sizeof(buf), "%.3g us", ns / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.3g ns", ns);
  }
  return buf;
}

}  // namespace moebench
