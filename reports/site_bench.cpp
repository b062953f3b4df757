// The report's kernel benchmark section: the newest Google Benchmark file's medians beside their
// ceilings (the gpu/ benchmarks' counters) and its failed benchmarks, each benchmark's median
// relative to its first run with regressions marked (a line per family, their geometric mean, for
// a large set), and the latest two runs compared.
#include <cmath>
#include <map>

#include "reports/bench_history.h"
#include "reports/html_escape.h"
#include "reports/report_site.h"
#include "reports/site_html.h"
#include "reports/stat_tests.h"
#include "reports/svg_chart.h"

namespace moebench {
namespace {

std::string esc(const std::string& s) { return html_escape(s); }

// The counter of a benchmark, when its run has it.
std::optional<double> counter(const BenchRun& run, const std::string& name, const char* key) {
  const auto it = run.counters.find(name);
  if (it == run.counters.end()) return std::nullopt;
  const auto c = it->second.find(key);
  return c == it->second.end() ? std::nullopt : std::optional<double>(c->second);
}

// The newest file alone: each benchmark's median over its repetitions, with the rates and shares
// of the measured ceilings the gpu/ benchmarks record, then every benchmark that failed (its
// message): what a single device run shows before there is a history.
std::string latest_run_table(const BenchRun& run) {
  std::string h = "<h3>Latest run</h3><p class=\"meta\">" + esc(run.file.filename().string()) +
                  (run.host.empty() ? "" : " · " + esc(run.host)) +
                  (run.date.empty() ? "" : " · " + esc(run.date)) + " · " +
                  std::to_string(run.times_ns.size()) + " measured, " +
                  std::to_string(run.errors.size()) + " failed</p>\n";
  h += "<div class=\"table-wrap\"><table id=\"bench-latest\" class=\"sortable\"><thead><tr>"
       "<th data-sort=\"text\">benchmark</th>" +
       site_th_num("median") + site_th_num("reps") + site_th_num("GB/s") +
       site_th_num("% copy bw") + site_th_num("TFLOP/s") + site_th_num("% cuBLAS") +
       "</tr></thead><tbody>\n";
  for (const auto& [name, times] : run.times_ns) {
    const double median = stats_median(times);
    h += "<tr><td>" + esc(name) + "</td><td data-value=\"" + data_value(median) + "\">" +
         bench_format_ns(median) + "</td><td>" + std::to_string(bench_repetitions(run, name)) +
         "</td>";
    for (const char* key : {"GB_per_s", "pct_copy_bw", "TFLOP_per_s", "pct_gemm_flops"}) {
      const std::optional<double> v = counter(run, name, key);
      h += "<td data-value=\"" + data_value(v) + "\">" + fmt_fixed(v, 1) + "</td>";
    }
    h += "</tr>\n";
  }
  h += "</tbody></table></div>\n";
  if (run.errors.empty()) return h;
  h += "<div class=\"table-wrap\"><table id=\"bench-errors\"><thead><tr><th>failed benchmark"
       "</th><th>error</th></tr></thead><tbody>\n";
  for (const auto& [name, message] : run.errors) {
    h += "<tr><td>" + esc(name) + "</td><td class=\"text\">" + esc(message) + "</td></tr>\n";
  }
  return h + "</tbody></table></div>\n";
}

// The last two files compared (their deltas), a row per benchmark with its verdict.
std::string comparison_table(const BenchRun& base, const BenchRun& next,
                             const std::vector<BenchDelta>& deltas, double threshold) {
  std::string h =
      "<h2>Latest benchmark comparison</h2><p class=\"meta\">" +
      esc(base.file.filename().string()) + " → " + esc(next.file.filename().string()) +
      "</p>\n<div class=\"table-wrap\"><table id=\"bench\" class=\"sortable\"><thead><tr>"
      "<th data-sort=\"text\">benchmark</th>" +
      site_th_num("base median") + site_th_num("new median") + site_th_num("change %") +
      site_th_num("p (U test)") + site_th_num("reps") +
      "<th data-sort=\"text\">verdict</th></tr></thead><tbody>\n";
  for (const BenchDelta& d : deltas) {
    const std::string text = esc(bench_verdict(d, threshold));
    const std::string verdict = d.regression || d.failed
                                    ? "<span class=\"down\">" + text + "</span>"
                                : d.improvement ? "<span class=\"up\">" + text + "</span>"
                                                : text;
    // Two decimals: a change just beyond a threshold of one decimal (5.04%) shows it.
    const std::optional<double> change =
        d.change ? std::optional<double>(100 * *d.change) : std::nullopt;
    h += "<tr><td>" + esc(d.name) + "</td><td data-value=\"" + data_value(d.base_median_ns) +
         "\">" + (d.base_median_ns ? bench_format_ns(*d.base_median_ns) : "—") +
         "</td><td data-value=\"" + data_value(d.new_median_ns) + "\">" +
         (d.new_median_ns ? bench_format_ns(*d.new_median_ns) : "—") + "</td><td data-value=\"" +
         data_value(change) + "\">" + fmt_fixed(change, 2) + "</td><td data-value=\"" +
         data_value(d.p_value) + "\">" + fmt_fixed(d.p_value, 4) + "</td><td>" +
         std::to_string(d.base_reps) + " / " + std::to_string(d.new_reps) +
         "</td><td class=\"text\">" + verdict + "</td></tr>\n";
  }
  return h + "</tbody></table></div>\n";
}

// Above this many benchmarks the history chart draws one line per family instead of one each.
constexpr size_t kMaxChartLines = 12;

// A benchmark's family: "gpu/gemm" for gpu/gemm/o_proj/m:1, "BM_cpu_rope" for BM_cpu_rope/64.
std::string bench_family(const std::string& name) {
  const size_t a = name.find('/');
  if (a == std::string::npos) return name;
  const std::string head = name.substr(0, a);
  if (head != "gpu" && head != "cpu") return head;
  return name.substr(0, name.find('/', a + 1));
}

// Per family and run: the geometric mean of its members' relative times (those measured in the
// run), marked where any member regressed, the notes naming them.
std::vector<LineSeries> family_lines(const std::vector<LineSeries>& lines) {
  struct Family {
    int members = 0;
    std::vector<double> log_sum;
    std::vector<int> n;
    LineSeries line;
  };
  std::map<std::string, Family> families;
  for (const LineSeries& s : lines) {
    Family& f = families[bench_family(s.name)];
    const size_t runs = s.values.size();
    if (f.members++ == 0) {
      f.log_sum.assign(runs, 0);
      f.n.assign(runs, 0);
      f.line.marked.assign(runs, false);
      f.line.notes.assign(runs, "");
    }
    for (size_t i = 0; i < runs; ++i) {
      if (std::isfinite(s.values[i]) && s.values[i] > 0) {
        f.log_sum[i] += std::log(s.values[i]);
        ++f.n[i];
      }
      if (!s.marked[i]) continue;
      f.line.marked[i] = true;
      f.line.notes[i] += (f.line.notes[i].empty() ? "" : "\n") + s.notes[i];
    }
  }
  std::vector<LineSeries> out;
  for (auto& [name, f] : families) {
    f.line.name = name + " (" + std::to_string(f.members) + ")";
    for (size_t i = 0; i < f.n.size(); ++i) {
      f.line.values.push_back(f.n[i] > 0 ? std::exp(f.log_sum[i] / f.n[i]) : NAN);
    }
    out.push_back(std::move(f.line));
  }
  return out;
}

}  // namespace

std::string site_bench_section(const ReportData& data, const ReportOptions& options) {
  std::string h = "<h2 id=\"kernels\">Kernel benchmarks</h2>\n";
  if (data.bench.empty()) {
    return h + "<p class=\"muted\">No Google Benchmark JSON under " +
           esc((data.results_dir / "bench").string()) + ".</p>\n";
  }
  h += latest_run_table(data.bench.back());
  // History: each benchmark's median relative to its first run, regressions marked.
  std::vector<std::string> labels;
  for (const BenchRun& r : data.bench)
    labels.push_back(r.date.empty() ? r.file.stem().string() : r.date.substr(0, 10));
  std::map<std::string, LineSeries> series;
  std::vector<BenchDelta> deltas;
  const BenchRun* previous = nullptr;
  for (size_t i = 0; i < data.bench.size(); ++i) {
    // Each run against the previous one on its GPU. Kept: the last run's deltas are also the
    // comparison table below.
    previous = bench_previous_comparable(data.bench, i);
    deltas.clear();
    if (previous) {
      deltas = bench_compare(*previous, data.bench[i], options.bench_threshold, options.alpha);
    }
    for (const auto& [name, times] : data.bench[i].times_ns) {
      LineSeries& s = series[name];
      if (s.name.empty()) {  // first seen: a gap (NaN) in every earlier run
        s.name = name;
        s.values.assign(data.bench.size(), NAN);
        s.marked.assign(data.bench.size(), false);
        s.notes.assign(data.bench.size(), "");
      }
      s.values[i] = stats_median(times);
    }
    for (const BenchDelta& d : deltas) {
      if (!d.regression) continue;
      series[d.name].marked[i] = true;
      series[d.name].notes[i] = d.name + ": " + fmt_fixed(100 * d.change.value_or(0), 1) +
                                "% slower, p=" + fmt_fixed(d.p_value, 4);
    }
  }
  std::vector<LineSeries> lines;
  for (auto& [name, s] : series) {
    double first = NAN;
    for (double v : s.values) {
      if (std::isfinite(v)) {
        first = v;
        break;
      }
    }
    for (double& v : s.values) v = std::isfinite(v) && first > 0 ? v / first : NAN;
    lines.push_back(std::move(s));
  }
  const bool grouped = lines.size() > kMaxChartLines;
  if (grouped) lines = family_lines(lines);
  h += "<div class=\"charts\"><figure id=\"chart-bench\">" +
       svg_line_chart(grouped ? "Kernel time relative to the first run, geometric mean per family"
                              : "Kernel time relative to the first run",
                      labels, lines, {"median time / first run's", false, "x"}) +
       "<figcaption>" +
       (grouped ? std::string("One line per family (its benchmarks counted): the geometric mean "
                              "of their medians, each relative to its own first run. ")
                : std::string()) +
       "Red triangles: a significant slowdown (two-sided Mann–Whitney U, p &lt; " +
       fmt_fixed(options.alpha, 2) + ") beyond " + bench_threshold_text(options.bench_threshold) +
       " against the previous run on the same GPU" +
       (grouped ? " in one of the family's benchmarks" : "") + ".</figcaption></figure></div>\n";
  if (!previous) return h;
  return h + comparison_table(*previous, data.bench.back(), deltas, options.bench_threshold);
}

}  // namespace moebench
