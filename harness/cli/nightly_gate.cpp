// nightly_compare_entry / nightly_kernels / nightly_publish.
#include "harness/cli/nightly_gate.h"

#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "common/error.h"
#include "common/file_write.h"
#include "common/hash.h"
#include "common/json_file.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/nightly_baselines.h"
#include "harness/results/host_info.h"
#include "harness/results/run_writer.h"
#include "reports/json_fields.h"
#include "reports/report_site.h"
#include "reports/run_record.h"

namespace moebench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Every comparison of an entry with the run it was made against, the baseline's first.
std::vector<std::pair<std::string, const RunComparison*>> comparisons_of(
    const NightlyEntryResult& e) {
  std::vector<std::pair<std::string, const RunComparison*>> out;
  if (e.comparison) out.emplace_back(e.previous, &*e.comparison);
  for (const auto& x : e.earlier) out.emplace_back(x.previous, &x.comparison);
  return out;
}

size_t suites_compared(const NightlyEntryResult& e) {
  size_t n = 0;
  for (const auto& [previous, c] : comparisons_of(e)) n += c->suites.size();
  return n;
}

// Entries of the night that this finish did not gate (another `finish --entry` did) keep their
// records in gate.json: rewritten with this finish's alone, an entry's verdict was lost, and a
// regressed entry became a later night's baseline.
void keep_other_entries(const fs::path& results, const std::string& night,
                        const std::vector<NightlyEntryResult>& entries, json* gate) {
  std::set<std::string> now;
  for (const NightlyEntryResult& e : entries) now.insert(e.entry);
  const json earlier = nightly_night_gate(results, night);
  if (!earlier.is_object()) return;
  for (const json& e : earlier.value("entries", json::array())) {
    if (e.is_object() && !now.count(str_or(e, "entry"))) (*gate)["entries"].push_back(e);
  }
}

// The night a kernel benchmark file holds: its name's date (the nightly writes <night>.json),
// else its context's date.
std::string bench_night(const BenchRun& r) {
  const std::string stem = r.file.stem().string();
  return nightly_is_date(stem) ? stem : r.date.substr(0, 10);
}

// The kernel baseline of tonight's `next`: the latest file of an earlier night measured on the
// same GPU whose kernel gate did not fail (as for the entries, a regression that persists fails
// every night until fixed), or nullptr. Re-running an old night never compares with a later one.
const BenchRun* kernel_baseline(const fs::path& results, const std::vector<BenchRun>& history,
                                const BenchRun& next, const std::string& night) {
  std::vector<std::pair<std::string, const BenchRun*>> earlier;  // (night, file), same GPU
  for (const BenchRun& r : history) {
    if (bench_night(r) < night && r.gpu == next.gpu) earlier.emplace_back(bench_night(r), &r);
  }
  // Newest first: the night, then the file's own instant.
  std::sort(earlier.begin(), earlier.end(), [](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first > y.first;
    return bench_older(*y.second, *x.second);
  });
  for (const auto& [date, run] : earlier) {
    const json gate = nightly_night_gate(results, date);
    if (!gate.is_object() || (gate.value("kernel_regression", false) != true &&
                              gate.value("kernels_failed", false) != true)) {
      return run;
    }
  }
  return nullptr;
}

// Why a benchmark file measured nothing: the distinct errors of its benchmarks ("every benchmark
// errored: no CUDA device"), or that it holds none.
std::string unmeasured_cause(const BenchRun& run) {
  if (run.errors.empty()) return "it holds no benchmark";
  std::set<std::string> messages;
  for (const auto& [name, message] : run.errors) messages.insert(message);
  std::string out;
  for (const std::string& m : messages) out += (out.empty() ? "" : "; ") + m;
  return "every benchmark errored: " + out;
}

// An InputError's text without its leading "<where>: ".
std::string without_where(const std::string& text, const std::string& where) {
  return text.rfind(where + ": ", 0) == 0 ? text.substr(where.size() + 2) : text;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// How a std::system command ended, when it failed: "exited with status N" (its exit code, not the
// wait status), "was killed by signal N", or "could not be run"; "" when it exited with 0.
std::string command_failure(int status) {
  if (status == -1) return "could not be run: " + std::string(std::strerror(errno));
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    return code == 0 ? "" : "exited with status " + std::to_string(code);
  }
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f%%", 100 * v);
  return buf;
}

// The summary's rows of one comparison: a suite each, against `previous`.
std::string comparison_rows(const std::string& entry, const std::string& previous,
                            const RunComparison& comparison) {
  std::string md;
  for (const SuiteComparison& s : comparison.suites) {
    char p[32];
    std::snprintf(p, sizeof(p), "%.3g", s.p_holm);
    char change[32];
    std::snprintf(change, sizeof(change), "%+.2f", 100 * s.delta);
    const std::string verdict = s.regression    ? "**regression**"
                                : s.improvement ? "improvement"
                                : s.significant ? "significant, within threshold"
                                : s.untestable  ? "untestable: too few documents"
                                                : "no significant change";
    // NOTE: the means are over the documents both nights ran: say so when either ran others.
    const std::string unpaired =
        s.only_in_a == 0 && s.only_in_b == 0
            ? ""
            : " (on the " + std::to_string(s.shared) + " documents both ran; " +
                  std::to_string(s.only_in_a) + " only in " + previous + ", " +
                  std::to_string(s.only_in_b) + " only tonight: not paired)";
    md += "| " + entry + " | " + s.suite + " | " + s.metric + " | " + percent(s.mean_a) + " (" +
          previous + ") | " + percent(s.mean_b) + " | " + change + " | " + p + " | " + verdict +
          unpaired + " |\n";
  }
  return md;
}

std::string entries_markdown(const std::string& night,
                             const std::vector<NightlyEntryResult>& entries) {
  std::string md = "## moebench nightly " + night + "\n\n";
  md += "| entry | suite | metric | previous night | tonight | change | Holm p | verdict |\n";
  md += "|---|---|---|---:|---:|---:|---:|---|\n";
  for (const NightlyEntryResult& e : entries) {
    if (!e.error.empty()) {
      md += "| " + e.entry + " | | | | | | | **failed**: " + e.error + " |\n";
      continue;
    }
    for (const auto& u : e.new_baselines) {
      md += "| " + e.entry + " | " + u.suite + " | | (" + e.previous + ") | " + e.run_id +
            " | | | new baseline: " + u.change + " |\n";
    }
    for (const auto& d : e.dropped) {
      md += "| " + e.entry + " | " + d.suite + " | | (" + d.previous +
            ") | | | | not run tonight |\n";
    }
    if (e.previous.empty()) {
      md += "| " + e.entry + " | | | (" + (e.no_baseline.empty() ? "first night" : e.no_baseline) +
            ") | " + e.run_id + " | | | baseline |\n";
    } else if (comparisons_of(e).empty() && e.new_baselines.empty() && e.dropped.empty()) {
      md += "| " + e.entry + " | | | (" + e.previous + ") | " + e.run_id +
            " | | | no suite in common |\n";
    }
    for (const auto& [previous, comparison] : comparisons_of(e)) {
      md += comparison_rows(e.entry, previous, *comparison);
    }
  }
  return md + "\n";
}

json new_baselines_json(const std::vector<NightlyEntryResult::NewBaseline>& list) {
  json out = json::array();
  for (const auto& u : list) out.push_back({{"suite", u.suite}, {"change", u.change}});
  return out;
}

// report_failures' lines of one comparison of entry `e`, against `previous`: a warning per suite
// with documents one night ran alone (as the summary and compare's text say) or too small to
// test, a line per regression (returns their count).
int report_comparison(const NightlyEntryResult& e, const std::string& previous,
                      const RunComparison& comparison) {
  int n = 0;
  for (const SuiteComparison& s : comparison.suites) {
    if (s.only_in_a == 0 && s.only_in_b == 0) continue;
    std::fprintf(stderr,
                 "moebench: nightly: warning: %s %s %s: %ld documents only in %s, %ld only "
                 "tonight: not paired, not tested (the means are over the %ld both ran)\n",
                 e.entry.c_str(), s.suite.c_str(), s.metric.c_str(), s.only_in_a, previous.c_str(),
                 s.only_in_b, s.shared);
  }
  for (const SuiteComparison& s : comparison.suites) {
    if (!s.untestable) continue;
    // NOTE: a warning, not a failure: the shipped example config gates the bundled samples
    // (3-5 documents a suite) to show the pipeline; a real gate needs the documents to see.
    std::fprintf(stderr,
                 "moebench: nightly: warning: %s %s: %ld documents cannot reach p < alpha over "
                 "%zu suites; a drop would not be seen\n",
                 e.entry.c_str(), s.suite.c_str(), s.shared, suites_compared(e));
  }
  for (const SuiteComparison& s : comparison.suites) {
    if (!s.regression) continue;
    std::fprintf(stderr,
                 "moebench: nightly: regression: %s %s %s %s -> %s (%+.1f points, p=%.3g, Holm "
                 "p=%.3g, %s) vs %s\n",
                 e.entry.c_str(), s.suite.c_str(), s.metric.c_str(), percent(s.mean_a).c_str(),
                 percent(s.mean_b).c_str(), 100 * s.delta, s.p_value, s.p_holm, s.test.c_str(),
                 previous.c_str());
    ++n;
  }
  return n;
}

// The suites compared with an older passing night than the baseline: [{previous, comparison}].
json earlier_json(const NightlyEntryResult& e) {
  json out = json::array();
  for (const auto& x : e.earlier) {
    out.push_back({{"previous", x.previous}, {"comparison", compare_to_json(x.comparison)}});
  }
  return out;
}

json dropped_json(const NightlyEntryResult& e) {
  json out = json::array();
  for (const auto& d : e.dropped) out.push_back({{"suite", d.suite}, {"previous", d.previous}});
  return out;
}

// One line per regression or failure, on stderr; returns their count.
int report_failures(const std::vector<NightlyEntryResult>& entries, const NightlyKernels& k) {
  int n = 0;
  for (const NightlyEntryResult& e : entries) {
    if (!e.error.empty()) {
      std::fprintf(stderr, "moebench: nightly: %s failed: %s\n", e.entry.c_str(), e.error.c_str());
      ++n;
    }
    for (const auto& [previous, comparison] : comparisons_of(e)) {
      n += report_comparison(e, previous, *comparison);
    }
  }
  if (k.state.rfind("failed", 0) == 0) {
    std::fprintf(stderr, "moebench: nightly: kernels %s\n", k.state.c_str());
    ++n;
  }
  for (const BenchDelta& d : k.deltas) {
    if (d.failed) {
      std::fprintf(stderr, "moebench: nightly: kernel benchmark %s: %s (measured in %s)\n",
                   d.name.c_str(), d.note.c_str(), k.previous.filename().c_str());
      ++n;
    }
    if (!d.regression) continue;
    std::fprintf(stderr, "moebench: nightly: kernel regression: %s %+.1f%% (p=%.3g) vs %s\n",
                 d.name.c_str(), 100 * d.change.value_or(0), d.p_value.value_or(1.0),
                 k.previous.filename().c_str());
    ++n;
  }
  return n;
}

// Holm's adjustment over every suite the entry compared, whichever night each was compared with:
// one gate, one family of tests.
void adjust_holm_jointly(NightlyEntryResult* r, const CompareOptions& options) {
  if (r->earlier.empty()) return;  // one comparison: compare_runs adjusted it already
  std::vector<std::vector<SuiteComparison>*> parts;
  if (r->comparison) parts.push_back(&r->comparison->suites);
  for (auto& x : r->earlier) parts.push_back(&x.comparison.suites);
  std::vector<SuiteComparison> all;
  for (const auto* p : parts) all.insert(all.end(), p->begin(), p->end());
  compare_adjust_holm(&all, options);
  size_t i = 0;
  for (auto* p : parts) {
    for (SuiteComparison& s : *p) s = all[i++];
  }
}

// "no passing night: " and why each earlier night is none, newest first (the newest three and
// how many more); "" when the entry has no earlier night.
std::string no_baseline_why(const std::vector<std::string>& skipped) {
  if (skipped.empty()) return "";
  std::string out = "no passing night: ";
  for (size_t i = 0; i < skipped.size() && i < 3; ++i) out += (i ? "; " : "") + skipped[i];
  if (skipped.size() > 3) {
    out += "; " + std::to_string(skipped.size() - 3) + " older nights neither";
  }
  return out;
}

}  // namespace

void nightly_check_errors(const NightlyConfig& c, const NightlyEntry& e,
                          const NightlyEntryResult& r) {
  const fs::path file = c.results / r.run_id / "run.json";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return;  // named by nightly_compare_entry
  const RunRecord run =
      RunRecord::from_json(json_read_file(file, file.string(), "cannot read"), file.string());
  const double failed = run.failed_share();
  if (failed > e.max_error_rate) {
    char buf[160];
    std::snprintf(buf, sizeof(buf),
                  "%.1f%% of the samples of %s failed, more than its "
                  "max_error_rate %.1f%%",
                  100 * failed, r.run_id.c_str(), 100 * e.max_error_rate);
    throw InputError(buf);
  }
}

void nightly_compare_entry(const NightlyConfig& c, const std::string& night,
                           NightlyEntryResult* r) {
  const fs::path tonight = c.results / r->run_id;
  std::error_code ec;
  if (!fs::is_regular_file(tonight / "run.json", ec)) {
    throw InputError("no run " + tonight.string() + " (run the night first: moebench nightly " +
                     cli_shell_word(c.file.string()) + " --stage run --night " + night + ")");
  }
  r->samples_sha256 = sha256_file_hex(tonight / "samples.jsonl");
  const std::string& pinned = c.entry(r->entry).baseline;
  std::vector<std::string> skipped;
  const std::vector<std::string> baselines =
      pinned.empty() ? nightly_passing_runs(c.results, r->entry, night, &skipped)
                     : std::vector<std::string>{pinned};
  if (baselines.empty()) {
    r->no_baseline = no_baseline_why(skipped);
    return;
  }
  r->previous = baselines.front();
  if (!fs::is_regular_file(c.results / r->previous / "run.json", ec)) {
    throw InputError(c.file.string() + ": entry " + r->entry + ": baseline '" + r->previous +
                     "' has no run.json under " + c.results.string());
  }
  const RunSummary b = run_load_summary(tonight);
  NightlyBaselineRuns runs{c.results, baselines, {}};
  std::map<std::string, std::vector<std::string>> suites_by_run;  // baseline -> suites
  for (const SuiteResult& s : b.suites) {
    std::string run;
    std::string change = nightly_suite_baseline(s, b, &runs, &run);
    if (run.empty() && change.empty()) {
      change = pinned.empty() ? "no passing night ran it" : "not in the pinned baseline";
    }
    if (!change.empty()) {
      r->new_baselines.push_back({s.name, change});
    } else {
      suites_by_run[run].push_back(s.name);
    }
  }
  for (const SuiteResult& s : runs.get(r->previous).suites) {
    if (!b.suite(s.name)) r->dropped.push_back({s.name, r->previous});
  }
  CompareOptions options;
  options.alpha = c.alpha;
  options.threshold = c.threshold;
  for (const std::string& run : baselines) {  // newest first: the baseline's comparison first
    auto it = suites_by_run.find(run);
    if (it == suites_by_run.end()) continue;
    options.suites = it->second;
    RunComparison comparison = compare_runs(c.results / run, tonight, options);
    if (run == r->previous) {
      r->comparison = std::move(comparison);
    } else {
      r->earlier.push_back({run, std::move(comparison)});
    }
  }
  adjust_holm_jointly(r, options);
}

NightlyKernels nightly_kernels(const NightlyConfig& c, const std::string& night) {
  NightlyKernels k;
  const json gpus = host_describe().value("gpus", json::array());
  if (c.kernels_run == "never") return {"skipped (kernels.run is never)", {}, {}, {}, false};
  if (c.kernels_run == "gpu" && (!gpus.is_array() || gpus.empty())) {
    return {"skipped (no GPU on this machine)", {}, {}, {}, false};
  }
  const fs::path dir = c.results / "bench";
  fs::create_directories(dir);
  std::vector<std::string> problems;
  std::vector<BenchRun> history = bench_load_history(dir, &problems);
  k.file = dir / (night + ".json");
  std::string cmd;
  for (const std::string& a : c.kernels_command) cmd += shell_quote(a) + " ";
  cmd += "> " + shell_quote(k.file.string() + ".tmp");
  std::printf("\n== nightly %s: kernels: %s\n", night.c_str(), cmd.c_str());
  std::fflush(stdout);
  if (const std::string failed = command_failure(std::system(cmd.c_str())); !failed.empty()) {
    std::error_code ec;
    fs::remove(k.file.string() + ".tmp", ec);  // a failed command's partial output is no result
    k.state = "failed: `" + cmd + "` " + failed;
    return k;
  }
  BenchRun next;
  try {
    // Read where it was written: an unreadable output never enters the history as <night>.json.
    next = bench_load_run(k.file.string() + ".tmp");
  } catch (const InputError& e) {
    fs::rename(k.file.string() + ".tmp", k.file.string() + ".bad");
    k.state = "failed: " + k.file.string() + ": " +
              without_where(e.what(), k.file.string() + ".tmp") + " (the output is kept as " +
              k.file.filename().string() + ".bad)";
    return k;
  }
  fs::rename(k.file.string() + ".tmp", k.file);
  next.file = k.file;
  if (next.times_ns.empty()) {  // no device (moebench-kernels without CUDA), or nothing to run
    k.state = "failed: no benchmark was measured in " + k.file.filename().string() + " (" +
              unmeasured_cause(next) + ")";
    return k;
  }
  k.state = "ran";
  const BenchRun* base = kernel_baseline(c.results, history, next, night);
  if (!base) {
    k.state =
        "ran (no earlier night measured on " + (next.gpu.empty() ? "this GPU" : next.gpu) + ")";
    return k;
  }
  k.previous = base->file;
  k.deltas = bench_compare(*base, next, c.kernel_threshold, c.alpha);
  // NOTE: a benchmark that now errors (its check or launch fails) fails the gate too.
  for (const BenchDelta& d : k.deltas) k.regression |= d.regression || d.failed;
  if (std::none_of(k.deltas.begin(), k.deltas.end(),
                   [](const BenchDelta& d) { return d.base_median_ns && d.new_median_ns; })) {
    k.state = "failed: none of the " + std::to_string(base->times_ns.size()) + " benchmarks of " +
              base->file.filename().string() + " was measured in " + k.file.filename().string();
  }
  return k;
}

int nightly_publish(const NightlyConfig& c, const std::string& night,
                    const std::vector<NightlyEntryResult>& entries, const NightlyKernels& k) {
  ReportOptions options;
  options.alpha = c.alpha;
  options.bench_threshold = c.kernel_threshold;
  options.title = "moebench nightly";
  // Runs that name a published model (models file published_as) are set against the paper.
  options.published_scores = published_scores_default_file(cli_tasks_dir(""));
  const SiteResult site = report_write_site(c.results, c.results / "site", options);
  std::string md = entries_markdown(night, entries);
  md += "Kernels: " + k.state +
        (k.previous.empty() ? "" : ", against " + k.previous.filename().string()) + "\n\n";
  md += report_markdown(site.data, options);
  const fs::path night_dir = c.results / "nights" / night;
  fs::create_directories(night_dir);
  // NOTE: whole or not at all: a truncated gate.json would fail every later night's baseline.
  write_file_atomic(night_dir / "summary.md", md);
  json gate = {{"night", night},
               {"kernels", k.state},
               {"kernels_previous",
                k.previous.empty() ? json(nullptr) : json(k.previous.filename().string())},
               {"kernel_regression", k.regression},
               {"kernels_failed", k.state.rfind("failed", 0) == 0},
               {"entries", json::array()}};
  for (const NightlyEntryResult& e : entries) {
    gate["entries"].push_back(
        {{"entry", e.entry},
         {"run", e.run_id},
         {"previous", e.previous},
         {"no_baseline", e.no_baseline},
         {"new_baseline", new_baselines_json(e.new_baselines)},
         {"earlier", earlier_json(e)},
         {"dropped", dropped_json(e)},
         {"error", e.error},
         {"samples_sha256", e.samples_sha256},
         {"comparison", e.comparison ? compare_to_json(*e.comparison) : json(nullptr)}});
  }
  keep_other_entries(c.results, night, entries, &gate);
  int failures = report_failures(entries, k);
  if (const char* gh = std::getenv("GITHUB_STEP_SUMMARY"); gh && *gh) {
    std::ofstream step(gh, std::ios::app);
    if (!(step << md << std::flush)) {
      std::fprintf(stderr, "moebench: nightly: GITHUB_STEP_SUMMARY '%s': cannot append\n", gh);
      ++failures;
    }
  }
  gate["failures"] = failures;
  write_file_atomic(night_dir / "gate.json", gate.dump(2) + "\n");
  std::printf("\n%s", entries_markdown(night, entries).c_str());
  std::printf("kernels: %s\nsite: %s\nsummary: %s\n", k.state.c_str(), site.index.c_str(),
              (night_dir / "summary.md").c_str());
  for (const std::string& p : site.problems) {
    std::fprintf(stderr, "moebench: nightly: left out of the site: %s\n", p.c_str());
  }
  std::printf("nightly %s: %s\n", night.c_str(),
              failures ? (std::to_string(failures) + " regression(s) or failure(s)").c_str()
                       : "no regression");
  return failures ? kExitRegression : kExitOk;
}

}  // namespace moebench
