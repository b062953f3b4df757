// bench_load_run / bench_load_history / bench_compare over Google Benchmark JSON.
#include "reports/bench_history.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
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

// A benchmark entry's user counters: its numeric fields other than Google Benchmark's own.
std::map<std::string, double> user_counters(const json& b) {
  static const std::set<std::string> kOwn = {"family_index", "per_family_instance_index",
                                             "repetitions",  "repetition_index",
                                             "threads",      "iterations",
                                             "real_time",    "cpu_time"};
  std::map<std::string, double> out;
  for (const auto& [key, value] : b.items()) {
    if (value.is_number() && !kOwn.count(key)) out[key] = value.get<double>();
  }
  return out;
}

// The smallest two-sided U-test p that m against n values can give (every value of one side
// below every value of the other).
double min_attainable_p(size_t m, size_t n) {
  std::vector<double> a(m), b(n);
  for (size_t i = 0; i < m; ++i) a[i] = static_cast<double>(i);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<double>(m + i);
  return stats_mann_whitney_u(a, b).p_value;
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
  run.utc_s = bench_date_utc_s(run.date);
  run.host = string_or(context, "host_name", "", where + ": context");
  run.gpu = string_or(context, "gpu", "", where + ": context");
  std::map<std::string, double> median_aggregate;
  std::map<std::string, std::map<std::string, double>> median_counters;
  std::map<std::string, size_t> median_reps;
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
    const bool median = type != "iteration" && string_or(b, "aggregate_name", "", at) == "median";
    if ((type == "iteration" || median) && !(ns > 0)) {
      throw input_error(at, "field 'real_time': " + b["real_time"].dump() + " must be > 0");
    }
    if (type == "iteration") {
      run.times_ns[name].push_back(ns);
      run.counters[name] = user_counters(b);
    } else if (median) {
      median_aggregate[name] = ns;
      median_counters[name] = user_counters(b);
      const json reps = b.value("repetitions", json());
      median_reps[name] = reps.is_number_unsigned() ? reps.get<size_t>() : 0;
    }
  }
  for (const auto& [name, ns] : median_aggregate) {
    if (run.times_ns.count(name)) continue;
    run.times_ns[name] = {ns};
    run.aggregates_only[name] = median_reps[name];
  }
  for (auto& [name, c] : median_counters) run.counters[name] = std::move(c);
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
  std::sort(runs.begin(), runs.end(), bench_older);
  return runs;
}

bool bench_older(const BenchRun& a, const BenchRun& b) {
  const bool ta = a.utc_s.has_value(), tb = b.utc_s.has_value();
  return std::tuple(ta, a.utc_s.value_or(0), a.date, a.file) <
         std::tuple(tb, b.utc_s.value_or(0), b.date, b.file);
}

std::optional<long long> bench_date_utc_s(const std::string& date) {
  int y, mo, d, h, mi, sec, used = 0;
  char sep;
  if (std::sscanf(date.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &sec,
                  &used) != 7 ||
      (sep != 'T' && sep != ' ')) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(mo),
                                        std::chrono::day(d)};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::string_view rest = std::string_view(date).substr(used);
  if (!rest.empty() && rest[0] == '.') {  // a fraction of a second, dropped
    rest.remove_prefix(1);
    while (!rest.empty() && rest[0] >= '0' && rest[0] <= '9') rest.remove_prefix(1);
  }
  long long offset_s = 0;
  if (rest == "Z") {
    rest = "";
  } else if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    int oh = 0, om = 0;
    const std::string tz(rest.substr(1));
    if (!((tz.size() == 5 && std::sscanf(tz.c_str(), "%2d:%2d", &oh, &om) == 2) ||
          (tz.size() == 4 && std::sscanf(tz.c_str(), "%2d%2d", &oh, &om) == 2)) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_s = (rest[0] == '+' ? 1 : -1) * (oh * 3600LL + om * 60LL);
    rest = "";
  }
  if (!rest.empty()) return std::nullopt;
  const long long days = std::chrono::sys_days(ymd).time_since_epoch().count();
  return days * 86400 + h * 3600LL + mi * 60LL + sec - offset_s;
}

const BenchRun* bench_previous_comparable(const std::vector<BenchRun>& history, size_t i) {
  for (size_t j = i; j-- > 0;) {
    if (history[j].gpu == history[i].gpu) return &history[j];
  }
  return nullptr;
}

namespace {

// An error of `name` in either run, as its row's note; sets d->failed when the new run has one the
// base run did not. NOTE: an error counts even when other repetitions timed: moebench-kernels
// checks a kernel's output once per process, so a wrong kernel writes one error entry
// (repetition 0) and its other repetitions' times.
std::string error_note(const BenchRun& base, const BenchRun& next, const std::string& name,
                       BenchDelta* d) {
  const auto new_error = next.errors.find(name), base_error = base.errors.find(name);
  const bool new_failed = new_error != next.errors.end();
  const bool base_failed = base_error != base.errors.end();
  if (new_failed && base_failed) return "error in both runs: " + new_error->second;
  if (new_failed) {
    d->failed = true;
    return "error in the new run: " + new_error->second;
  }
  return base_failed ? "error in the base run: " + base_error->second : "";
}

// The note of a benchmark that a run holds the median aggregate of, and no repetition times.
std::string aggregates_note(const BenchRun& base, const BenchRun& next, const std::string& name) {
  std::string runs;
  for (const BenchRun* run : {&base, &next}) {
    auto it = run->aggregates_only.find(name);
    if (it == run->aggregates_only.end()) continue;
    runs += std::string(runs.empty() ? "" : ", ") + (run == &base ? "base" : "new") + ": " +
            (it->second ? "the median of " + std::to_string(it->second) + " repetitions"
                        : std::string("a median"));
  }
  if (runs.empty()) return "";
  return "aggregates only (" + runs +
         "): no repetition times for the U test; drop --benchmark_report_aggregates_only";
}

}  // namespace

size_t bench_repetitions(const BenchRun& run, const std::string& name) {
  const auto agg = run.aggregates_only.find(name);
  if (agg != run.aggregates_only.end() && agg->second > 0) return agg->second;
  const auto times = run.times_ns.find(name);
  return times == run.times_ns.end() ? 0 : times->second.size();
}

std::vector<BenchDelta> bench_compare(const BenchRun& base, const BenchRun& next, double threshold,
                                      double alpha) {
  std::set<std::string> names;
  for (const BenchRun* run : {&base, &next}) {
    for (const auto& [n, t] : run->times_ns) names.insert(n);
    for (const auto& [n, e] : run->errors) names.insert(n);
  }
  std::vector<BenchDelta> out;
  for (const std::string& name : names) {
    BenchDelta d;
    d.name = name;
    auto a = base.times_ns.find(name);
    auto b = next.times_ns.find(name);
    if (a != base.times_ns.end()) {
      d.base_reps = bench_repetitions(base, name);
      d.base_median_ns = stats_median(a->second);
    }
    if (b != next.times_ns.end()) {
      d.new_reps = bench_repetitions(next, name);
      d.new_median_ns = stats_median(b->second);
    }
    const std::string error = error_note(base, next, name, &d);
    if (!d.base_median_ns || !d.new_median_ns) {
      d.note = !error.empty()     ? error
               : d.base_median_ns ? "absent from the new run"
                                  : "new benchmark";
      out.push_back(d);
      continue;
    }
    const double change = *d.base_median_ns > 0 ? *d.new_median_ns / *d.base_median_ns - 1 : 0;
    d.change = change;
    // The U test's sizes are the times held: an aggregates-only file's one median is no sample.
    const size_t base_n = a->second.size(), new_n = b->second.size();
    if (base_n >= 2 && new_n >= 2) {
      d.p_value = stats_mann_whitney_u(a->second, b->second).p_value;
      d.significant = *d.p_value < alpha;
    }
    if (base_n < kBenchMinRepetitions || new_n < kBenchMinRepetitions) {
      d.note = d.p_value ? "fewer than 9 repetitions: the U test is weak"
                         : "fewer than 2 repetitions: no U test";
    }
    // NOTE: with a tolerance, so that a change of exactly the threshold is within it.
    const bool slower = change > threshold + kBenchTolerance;
    d.regression = d.significant && slower;
    d.improvement = d.significant && change < -threshold - kBenchTolerance;
    const std::string aggregates = aggregates_note(base, next, name);
    d.aggregates_only = !aggregates.empty();
    if (d.aggregates_only) d.note = aggregates;
    // NOTE: below 2 repetitions a side there is no U test at all: as untestable as too few for it.
    if (slower && (!d.p_value || min_attainable_p(base_n, new_n) >= alpha)) {
      d.untestable = true;
      char text[160];
      if (d.aggregates_only) {
        std::snprintf(text, sizeof(text), "slower by %.1f%%, untested: ", 100 * change);
        d.note = text + aggregates;
      } else {
        std::snprintf(text, sizeof(text),
                      "slower by %.1f%%, untested: %zu against %zu repetitions cannot reach p < "
                      "%.3g",
                      100 * change, base_n, new_n, alpha);
        d.note = text;
      }
    }
    if (!error.empty()) d.note = error;
    out.push_back(d);
  }
  return out;
}

std::string bench_threshold_text(double threshold) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", 100 * threshold);
  std::string t = text;
  if (t.size() > 3 && t.back() == '0') t.pop_back();  // "5.00" -> "5.0"
  return t + "%";
}

std::string bench_verdict(const BenchDelta& d, double threshold) {
  if (d.regression) return "regression";
  if (d.failed) return d.note;
  if (d.improvement) return "faster";
  if (!d.significant || !d.change) return d.note.empty() ? "no significant change" : d.note;
  // Significant, but not beyond the threshold: what the U test found, and why the gate passed it.
  char text[96];
  std::snprintf(text, sizeof(text), "%s, within the %s threshold",
                *d.change > 0   ? "slower"
                : *d.change < 0 ? "faster"
                                : "a significant difference, median unchanged",
                bench_threshold_text(threshold).c_str());
  return d.note.empty() ? text : text + ("; " + d.note);
}

namespace {

// Text in a table cell for a terminal or a log: md_cell's '|' and line breaks, '<' as itself.
std::string terminal_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c == '|' ? "\\|" : c == '\n' || c == '\r' ? " " : std::string(1, c);
  }
  return out;
}

}  // namespace

std::string bench_compare_markdown(const BenchRun& base, const BenchRun& next,
                                   const std::vector<BenchDelta>& deltas, double threshold,
                                   double alpha, bool terminal) {
  const auto cell = terminal ? terminal_cell : md_cell;
  char line[160];
  std::snprintf(line, sizeof(line), "two-sided Mann-Whitney U, alpha %.3g, threshold %s", alpha,
                bench_threshold_text(threshold).c_str());
  auto gpu = [&](const BenchRun& r) { return cell(r.gpu.empty() ? "unknown" : r.gpu); };
  const std::string devices =
      base.gpu == next.gpu ? ""
                           : "Measured on different GPUs (base: " + gpu(base) +
                                 ", new: " + gpu(next) + "): the changes compare devices.\n\n";
  std::string out = "**base** `" + cell(base.file.filename().string()) + "` (" + cell(base.date) +
                    ") vs **new** `" + cell(next.file.filename().string()) + "` (" +
                    cell(next.date) + "): " + line + "\n\n" + devices +
                    "| benchmark | base median | new median | change | p | reps | verdict |\n"
                    "|---|---:|---:|---:|---:|---:|---|\n";
  for (const BenchDelta& d : deltas) {
    std::string p = "—", change = "—";
    if (d.p_value) {
      std::snprintf(line, sizeof(line), "%.4f", *d.p_value);
      p = line;
    }
    if (d.change) {
      // Two decimals: a change just beyond a threshold of one decimal (5.04%) shows it.
      std::snprintf(line, sizeof(line), "%+.2f%%", 100 * *d.change);
      change = line;
    }
    const std::string verdict = d.regression || d.failed
                                    ? "**" + cell(bench_verdict(d, threshold)) + "**"
                                    : cell(bench_verdict(d, threshold));
    out += "| " + cell(d.name) + " | " +
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
  static const std::vector<std::pair<double, const char*>> units = {
      {1, "ns"}, {1e3, "us"}, {1e6, "ms"}, {1e9, "s"}};
  return fmt_sig3(ns, units, ns >= 1e9 ? 3 : ns >= 1e6 ? 2 : ns >= 1e3 ? 1 : 0);
}

}  // namespace moebench
