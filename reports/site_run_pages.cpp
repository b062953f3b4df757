// The per-run page (facts, suites, metrics, errors) and the per-suite sample pages: every sample
// with its prompt, responses, extracted answers, gold, verdict, tokens and latency. All model
// output is untrusted text and goes through html_escape.
#include <algorithm>
#include <cmath>
#include <map>

#include "reports/html_escape.h"
#include "reports/report_site.h"
#include "reports/site_html.h"

namespace moebench {
namespace fs = std::filesystem;

namespace {

std::string esc(const std::string& s) { return html_escape(s); }

// A name used as a file name: kept when already safe, else a slug with a hash of the original.
std::string safe_name(const std::string& name) {
  const std::string slug = file_slug(name);
  return slug == name ? slug : slug_with_hash(name);
}

std::string json_text(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "";
  if (j.is_array() && j.size() == 1 && j[0].is_string()) return j[0].get<std::string>();
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string verdict_of(const SampleRecord& s, const std::string& metric) {
  if (!s.error_type.empty()) return "error";
  auto it = s.metrics.find(metric);
  if (it == s.metrics.end()) return "unscored";
  if (it->second == 1.0) return "pass";
  if (it->second == 0.0) return "fail";
  return "partial";
}

std::string choices_text(const SampleRecord& s) {
  std::string out;
  size_t best = 0;
  for (size_t i = 1; i < s.logliks.size(); ++i) {
    if (s.logliks[i] > s.logliks[best]) best = i;
  }
  for (size_t i = 0; i < s.continuations.size(); ++i) {
    char ll[48] = "";
    if (i < s.logliks.size()) std::snprintf(ll, sizeof(ll), "  loglik %.4f", s.logliks[i]);
    out += "[" + std::to_string(i) + "] " + s.continuations[i] + ll +
           (i == best && !s.logliks.empty() ? "  <- picked" : "") + "\n";
  }
  return out;
}

std::string sample_html(const SampleRecord& s, const std::string& metric, size_t index) {
  const std::string verdict = verdict_of(s, metric);
  std::string h = "<div class=\"sample\" id=\"s" + std::to_string(index) + "\" data-verdict=\"" +
                  verdict + "\">\n<div class=\"head\"><strong>" + esc(s.doc_id) +
                  "</strong><span class=\"verdict " + verdict + "\">" + verdict + "</span>";
  for (const auto& [name, value] : s.metrics) {
    h += "<span class=\"muted\">" + esc(name) + " = " + fmt_fixed(value, 3) + "</span>";
  }
  h += "<span class=\"muted\">tokens " + fmt_count(s.tokens.prompt) + " in / " +
       fmt_count(s.tokens.completion) + " out</span><span class=\"muted\">latency " +
       fmt_seconds(s.latency_s) + (s.cached ? " (cached)" : "") + "</span></div>\n";
  if (!s.error_type.empty()) {
    h += "<div class=\"warn\">" + esc(s.error_type) + ": " + esc(s.error_message) + "</div>\n";
  }
  const std::string prompt = s.prompt_text();
  h += "<details><summary>prompt (" + fmt_count(static_cast<long>(prompt.size())) +
       " bytes)</summary><pre class=\"prompt\">" + esc(prompt) + "</pre></details>\n";
  if (!s.continuations.empty()) {
    h += "<div class=\"label\">choices (scored by log-likelihood)</div><pre class=\"response\">" +
         esc(choices_text(s)) + "</pre>\n";
  }
  for (size_t i = 0; i < s.responses.size(); ++i) {
    h += "<div class=\"label\">response" +
         (s.responses.size() > 1 ? " " + std::to_string(i + 1) : std::string()) +
         "</div><pre class=\"response\">" + esc(s.responses[i]) + "</pre>\n";
  }
  std::string extracted;
  if (s.filtered.is_object()) {
    for (const auto& [filter, value] : s.filtered.items()) {
      extracted += filter + ": " + json_text(value) + "\n";
    }
  }
  h += "<div class=\"label\">extracted</div><pre class=\"extracted\">" + esc(extracted) +
       "</pre>\n<div class=\"label\">gold</div><pre class=\"gold\">" + esc(json_text(s.gold)) +
       "</pre>\n</div>\n";
  return h;
}

std::string page_links(const std::string& suite, size_t pages, size_t current) {
  if (pages <= 1) return "";
  std::string h = "<div class=\"pages\">pages:";
  for (size_t p = 0; p < pages; ++p) {
    if (p == current) {
      h += " <span>" + std::to_string(p + 1) + "</span>";
    } else {
      h += " <a href=\"" + url_escape_path(site_suite_page_name(suite, p)) + "\">" +
           std::to_string(p + 1) + "</a>";
    }
  }
  return h + "</div>\n";
}

std::string suite_page(const RunSummary& run, const SuiteResult& suite,
                       const std::vector<const SampleRecord*>& samples, size_t page, size_t pages) {
  std::map<std::string, long> verdicts;
  for (const SampleRecord* s : samples) ++verdicts[verdict_of(*s, suite.primary_metric)];
  std::string h =
      "<nav class=\"crumbs\"><a href=\"../../index.html\">leaderboard</a> / <a "
      "href=\"index.html\">" +
      esc(run.run_id) + "</a> / " + esc(suite.name) + "</nav>\n<h1>" + esc(suite.name) +
      " <small>" + esc(run.backend_id) + "</small></h1>\n<p class=\"meta\">" +
      fmt_count(static_cast<long>(samples.size())) + " samples; verdict by " +
      esc(suite.primary_metric) + ":";
  for (const auto& [v, n] : verdicts) h += " " + esc(v) + " " + fmt_count(n);
  h += "</p>\n<div class=\"filter\"><label>show <select id=\"verdict-filter\">"
       "<option value=\"all\">all samples</option><option value=\"fail\">failures</option>"
       "<option value=\"pass\">passes</option><option value=\"partial\">partial</option>"
       "<option value=\"error\">errors</option></select></label> (this page)</div>\n";
  h += page_links(suite.name, pages, page);
  const size_t begin = page * kSamplesPerPage;
  const size_t end = std::min(samples.size(), begin + kSamplesPerPage);
  for (size_t i = begin; i < end; ++i) h += sample_html(*samples[i], suite.primary_metric, i);
  h += page_links(suite.name, pages, page);
  return site_page(suite.name + " · " + run.run_id, "../../", h);
}

std::string metrics_cell(const SuiteResult& s) {
  std::string h;
  for (const auto& [name, m] : s.metrics) {
    h += esc(name) + " " + fmt_percent(m.score(), 2) +
         (m.has_stderr() ? " ± " + fmt_percent(m.ci95_half(), 2)
                         : " (n " + std::to_string(m.n) + ": no stderr)") +
         "<br>";
  }
  return h;
}

// Per suite, the answers cut at the token limit or withheld, as the run's end warning said them;
// "" when none were.
std::string finish_reasons_section(const RunSummary& run) {
  std::string items;
  for (const SuiteResult& s : run.suites) {
    const std::string note = finish_reasons_note(s.name, s.finish_reasons);
    if (!note.empty()) items += "<li>" + esc(note) + "</li>";
  }
  if (items.empty()) return "";
  return "<h2>Finish reasons</h2><p class=\"meta\">Answers cut at the token limit are scored as "
         "they are; withheld ones failed.</p><ul>" +
         items + "</ul>\n";
}

// The run's cost as what it is: what its API requests were billed ("—" unpriced), and the answers
// that came from the response cache instead (billed, if at all, by the run that cached them).
std::string cost_fact(const RunSummary& run) {
  const std::optional<double> usd = run.cost_usd();
  long cached = 0;
  for (const SuiteResult& s : run.suites) cached += s.cache_hits;
  std::string h = fmt_usd(usd);
  if (usd) h += " billed for this run's API requests";
  if (cached > 0) {
    h += "; " + fmt_count(cached) + (cached == 1 ? " answer" : " answers") +
         " from the response cache" + (usd ? ", not billed" : "");
  }
  return h;
}

// A suite's billed tokens and cost leave out its answers from the response cache: say how many.
std::string cache_hits_note(const SuiteResult& s) {
  if (s.cache_hits <= 0) return "";
  return " <small class=\"muted\">(" + fmt_count(s.cache_hits) +
         (s.cache_hits == 1 ? " answer" : " answers") + " from the cache)</small>";
}

std::string run_page(const RunSummary& run, const SuiteLatency& latency,
                     const PublishedScores* published) {
  std::string h = "<nav class=\"crumbs\"><a href=\"../../index.html\">leaderboard</a> / " +
                  esc(run.run_id) + "</nav>\n<h1>" + esc(run.run_id) +
                  "</h1>\n<dl class=\"facts\">";
  auto fact = [&h](const std::string& k, const std::string& v_html) {
    h += "<dt>" + k + "</dt><dd>" + v_html + "</dd>";
  };
  fact("backend", esc(run.backend_id) + " <span class=\"muted\">(" + esc(run.backend_family) +
                      (run.device.empty() ? "" : ", " + esc(run.device)) + ")</span>");
  if (run.rescore) {
    fact("rescored", "<span class=\"tag\">rescored</span> the responses of run " +
                         esc(run.rescore->of_run) + " (" + esc(run.rescore->source) +
                         ") scored again by " + esc(run.rescore->replay_id));
  }
  if (const std::string model = run_published_as(run); !model.empty()) {
    const bool unknown = published && !published->file.empty() && !published->has_model(model);
    fact(
        "published as",
        esc(model) + (unknown ? " <span class=\"muted\">(no published scores for it)</span>" : ""));
  }
  fact("created", esc(run.created));
  fact("data", esc(run.data_scope));
  fact("command", "<code>" + esc(run.raw.value("command", "")) + "</code>");
  fact("host", esc(run.host) + " · " + std::to_string(run.gpus) + " GPU(s)");
  fact("moebench", esc(run.moebench_version));
  fact("time", "total " + fmt_seconds(run.total_s) + ", backend " + fmt_seconds(run.dispatch_s));
  fact("throughput", fmt_fixed(run.prompt_tokens_per_s, 1) + " prompt tokens/s, " +
                         fmt_fixed(run.output_tokens_per_s, 1) + " output tokens/s");
  const TokenCounts t = run.tokens();
  fact("tokens", fmt_count(t.prompt) + " prompt (" + fmt_count(t.cached_prompt) +
                     " from the provider's prompt cache), " + fmt_count(t.completion) +
                     " completion, " +
                     (t.reasoning_unknown ? std::string("uncounted") : fmt_count(t.reasoning)) +
                     " reasoning");
  fact("cost", cost_fact(run));
  h += "</dl>\n<h2>Suites</h2>\n<div class=\"table-wrap\"><table id=\"suites\" class=\"sortable\">"
       "<thead><tr><th data-sort=\"text\">suite</th><th data-sort=\"text\">primary metric</th>"
       "<th data-sort=\"num\">score %</th><th data-sort=\"num\">±95% CI</th><th data-sort=\"num\">"
       "n</th><th data-sort=\"num\">errors</th><th data-sort=\"num\" title=\"billed: sent "
       "this run\">tokens</th><th data-sort=\"num\" title=\"billed this run\">cost</th><th "
       "data-sort=\"num\">p50 latency</th>"
       "<th class=\"text\">all metrics</th></tr></thead><tbody>\n";
  for (const SuiteResult& s : run.suites) {
    const MetricStat* m = s.primary();
    // No document scored (a shard past the suite's end): no score.
    const std::optional<double> score = m ? m->score() : std::nullopt;
    auto lat = latency.find(s.name);
    std::optional<double> p50 = lat == latency.end() ? std::nullopt : lat->second.quantile(0.5);
    h += "<tr><td data-value=\"" + esc(s.name) + "\"><a href=\"" +
         url_escape_path(site_suite_page_name(s.name, 0)) + "\">" + esc(s.name) + "</a></td><td>" +
         esc(s.primary_metric) + "</td><td data-value=\"" + data_value(score) + "\">" +
         fmt_percent(score, 2) + "</td><td>" +
         fmt_percent(m ? m->ci95_half_known() : std::nullopt, 2) + "</td><td>" +
         fmt_count(m ? m->n : 0) + "</td><td data-value=\"" + std::to_string(s.error_count()) +
         "\"" + (s.error_count() ? " class=\"err\"" : "") + ">" + fmt_count(s.error_count()) +
         "</td><td>" + fmt_count(s.tokens.total()) + "</td><td data-value=\"" +
         data_value(s.cost_usd) + "\">" + fmt_usd(s.cost_usd) + cache_hits_note(s) +
         "</td><td data-value=\"" + data_value(p50) + "\">" + fmt_seconds(p50) +
         "</td><td class=\"text\">" + metrics_cell(s) + "</td></tr>\n";
  }
  h += "</tbody></table></div>\n";
  if (published) h += site_published_section(run, *published);
  std::string errors;
  for (const SuiteResult& s : run.suites) {
    for (const auto& [type, n] : s.errors) {
      errors += "<li>" + esc(s.name) + ": " + esc(type) + " × " + fmt_count(n) + "</li>";
    }
  }
  if (!errors.empty()) h += "<h2>Errors</h2><ul>" + errors + "</ul>\n";
  h += finish_reasons_section(run);
  return site_page(run.run_id, "../../", h);
}

}  // namespace

std::string site_run_dir_name(const std::string& run_id) {
  return "runs/" + safe_name(run_id) + "/";
}

std::string site_suite_page_name(const std::string& suite, size_t page) {
  return safe_name(suite) + (page == 0 ? "" : ".p" + std::to_string(page + 1)) + ".html";
}

size_t site_write_run_pages(const fs::path& out_dir, const RunSummary& run,
                            const std::vector<SampleRecord>& samples, const SuiteLatency& latency,
                            const PublishedScores* published) {
  const fs::path dir = out_dir / site_run_dir_name(run.run_id);
  std::map<std::string, std::vector<const SampleRecord*>> by_suite;
  for (const SampleRecord& s : samples) by_suite[s.suite].push_back(&s);
  site_write_file(dir / "index.html", run_page(run, latency, published));
  size_t written = 1;
  for (const SuiteResult& suite : run.suites) {
    const auto& list = by_suite[suite.name];
    const size_t pages = std::max<size_t>(1, (list.size() + kSamplesPerPage - 1) / kSamplesPerPage);
    for (size_t p = 0; p < pages; ++p) {
      site_write_file(dir / site_suite_page_name(suite.name, p),
                      suite_page(run, suite, list, p, pages));
      ++written;
    }
  }
  return written;
}

}  // namespace moebench
