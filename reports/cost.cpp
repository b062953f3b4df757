// Own-hardware $ per 1M tokens from model bench files, run.json throughput or given numbers, and
// the cost report beside API prices.
#include "reports/cost.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "common/json_file.h"
#include "reports/json_fields.h"

namespace moebench {
namespace {

using nlohmann::json;

json read_json(const std::string& path) { return json_read_file(path, path, "cannot read"); }

// A throughput at `field` of `obj`: a number >= 0 (0 = not measured).
double get_rate(const json& obj, const std::string& file, const std::string& where,
                const char* field) {
  const std::string name = where.empty() ? field : where + "." + field;
  if (!obj.contains(field)) throw input_error(file, name + ": missing");
  if (!obj[field].is_number()) throw input_error(file, name + ": expected a number");
  const double v = obj[field].get<double>();
  if (!(v >= 0)) throw input_error(file, name + ": must be >= 0");
  return v;
}

std::optional<double> per_million(double usd_per_hour, int gpus, double tokens_per_s) {
  if (tokens_per_s <= 0) return std::nullopt;
  return cost_usd_per_million(usd_per_hour, gpus, tokens_per_s);
}

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
json rate(double tokens_per_s) { return tokens_per_s > 0 ? json(tokens_per_s) : json(nullptr); }

// Dollars as a price list writes them: whole cents as cents (1.10, 26.25), else four significant
// digits (0.3003, 0.07407), whole dollars from $1000.
std::string usd(double v) {
  char buf[32];
  const bool cents = v >= 0.01 && std::abs(v * 100 - std::round(v * 100)) < 1e-9;
  std::snprintf(buf, sizeof(buf), v >= 1000 ? "%.0f" : cents ? "%.2f" : "%.4g", v);
  return buf;
}
std::string usd(const std::optional<double>& v) { return v ? usd(*v) : "-"; }
std::string tps(double v) {
  if (v <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), v >= 100 ? "%.0f" : "%.2f", v);
  return buf;
}

json source_json(const CostSource& s) {
  return {{"kind", s.kind},
          {"path", s.path.empty() ? json(nullptr) : json(s.path)},
          {"details", s.details}};
}

std::string in_effect(const CostApiRow& a, const std::string& date) {
  if (!a.priced) return "no price on " + date;
  return a.effective_from + " to " + (a.effective_until.empty() ? "now" : a.effective_until) +
         (a.off_peak_now ? ", off-peak (UTC " + a.off_peak_utc + ")" : "");
}

// The prices not shown in the row: the off-peak window's, or the standard ones while it is on.
std::string other_prices_line(const std::string& name, const std::string& utc, bool off_peak_now,
                              const std::string& cache_hit, const std::string& input,
                              const std::string& output) {
  return name + (off_peak_now ? " standard prices (outside UTC " : " off-peak (UTC ") + utc +
         "): cache hit " + cache_hit + ", input " + input + ", output " + output;
}

json off_peak_json(const CostApiRow& a) {
  if (!a.priced || a.off_peak_utc.empty()) return nullptr;
  return {{"utc", a.off_peak_utc},
          {"input_cache_hit_usd_per_million", a.off_peak_input_cache_hit},
          {"input_usd_per_million", a.off_peak_input},
          {"output_usd_per_million", a.off_peak_output}};
}

// The table's standard prices, when the off-peak ones are in effect at the report's minute.
json standard_json(const CostApiRow& a) {
  if (!a.priced || !a.off_peak_now) return nullptr;
  return {{"input_cache_hit_usd_per_million", a.standard_input_cache_hit},
          {"input_usd_per_million", a.standard_input},
          {"output_usd_per_million", a.standard_output},
          {"blended_usd_per_million", cost_blended(a.standard_input, a.standard_output)}};
}

// The off-peak windows of the API rows, one line each: "deepseek-chat off-peak (UTC 16:30-00:30):
// cache hit 0.035, input 0.135, output 0.55"; "deepseek-chat standard prices (outside UTC
// 16:30-00:30): ..." for a row showing its off-peak prices.
std::string off_peak_lines(const CostReport& r, const std::string& bullet) {
  std::string s;
  for (const CostApiRow& a : r.api) {
    if (!a.priced || a.off_peak_utc.empty()) continue;
    s += bullet +
         (a.off_peak_now
              ? other_prices_line(a.name, a.off_peak_utc, true, usd(a.standard_input_cache_hit),
                                  usd(a.standard_input), usd(a.standard_output))
              : other_prices_line(a.name, a.off_peak_utc, false, usd(a.off_peak_input_cache_hit),
                                  usd(a.off_peak_input), usd(a.off_peak_output))) +
         "\n";
  }
  return s;
}

std::string shared_time_note(const CostReport& r) {
  for (const CostRow& row : r.rows) {
    if (row.point.shared_time && row.all_tokens) {
      return "A run's prefill and decode share its wall time, so its input and output figures "
             "each charge all of it; its own token mix costs $" +
             usd(*row.all_tokens) + " per 1M tokens.\n";
    }
  }
  return "";
}

}  // namespace

std::string cost_source_text(const nlohmann::json& inputs) {
  const std::string kind = str_or(inputs, "kind");
  const std::string path = str_or(inputs, "path");
  std::string line = kind == "bench" ? "model bench " + path
                     : kind == "run" ? "run " + path
                                     : std::string("throughput given on the command line");
  if (!inputs.is_object() || !inputs.contains("details")) return line;
  const json& details = inputs["details"];
  if (!details.is_object()) return line;
  for (const char* key : {"model", "engine", "kernels"}) {
    const std::string v = str_or(details, key);
    if (!v.empty()) line += std::string(", ") + key + " " + v;
  }
  auto on = [&](const char* key) { return details.contains(key) && details[key] == true; };
  if (on("programmatic_launch")) line += ", programmatic launch";
  if (on("overlap")) line += ", decode steps started ahead";
  if (details.contains("failed_attempts") && details["failed_attempts"].is_object()) {
    const json& f = details["failed_attempts"];
    line += ", throughput counting " + f.value("tokens", json(0)).dump() + " tokens of " +
            f.value("attempts", json(0)).dump() +
            " attempts that failed after their HTTP 200 (billed, no answer)";
  }
  return line;
}

std::string cost_api_label(const nlohmann::json& model, const std::string& date) {
  const std::string provider = str_or(model, "provider");
  if (!model.is_object() || model.value("priced", false) != true) {
    return str_or(model, "name") + " (" + provider + ", no price on " + date + ")";
  }
  const std::string until = str_or(model, "effective_until");
  const json off_peak = model.value("off_peak", json());
  const bool off_peak_now = model.value("off_peak_in_effect", json()) == true;
  return str_or(model, "name") + " (" + provider + ", in effect " +
         str_or(model, "effective_from") + " to " + (until.empty() ? "now" : until) +
         (off_peak_now ? ", off-peak (UTC " + str_or(off_peak, "utc") + ")" : "") + ")";
}

std::string cost_no_api_note(const CostReport& r) {
  if (!r.api.empty()) return "";
  return "no API model of " + r.models_file + " is priced on " + r.date;
}

std::vector<std::string> cost_api_notes(const nlohmann::json& cost) {
  std::vector<std::string> notes;
  const json api = cost.is_object() ? cost.value("api", json::object()) : json::object();
  const json models = api.is_object() ? api.value("models", json::array()) : json::array();
  if (!models.is_array() || models.empty()) {
    if (const std::string note = str_or(api, "note"); !note.empty()) notes.push_back(note);
    return notes;
  }
  notes.push_back("API prices in effect on " + str_or(api, "date") + " (" +
                  str_or(api, "models_file") +
                  "), $ per 1M tokens; blended uses the cache-miss input");
  for (const json& m : models) {
    const json window = m.is_object() ? m.value("off_peak", json()) : json();
    if (!window.is_object()) continue;
    // While the off-peak prices are the row's, the standard ones are the others.
    const bool off_peak_now = m.value("off_peak_in_effect", json()) == true;
    const json p = off_peak_now ? m.value("standard", json()) : window;
    auto price = [&](const char* key) {
      const json v = p.is_object() ? p.value(key, json()) : json();
      return v.is_number() ? usd(v.get<double>()) : std::string("-");
    };
    notes.push_back(other_prices_line(str_or(m, "name"), str_or(window, "utc"), off_peak_now,
                                      price("input_cache_hit_usd_per_million"),
                                      price("input_usd_per_million"),
                                      price("output_usd_per_million")));
  }
  return notes;
}

double cost_usd_per_million(double gpu_usd_per_hour, int gpus, double tokens_per_s) {
  return gpu_usd_per_hour * gpus / (tokens_per_s * 3600.0) * 1e6;
}

double cost_blended(double input_usd_per_million, double output_usd_per_million) {
  return (3 * input_usd_per_million + output_usd_per_million) / 4;
}

CostSource cost_read_bench(const std::string& path) {
  const json j = read_json(path);
  if (!j.is_object())
    throw input_error(path, "expected a JSON object (moebench model bench --json)");
  if (!j.contains("runs") || !j["runs"].is_array()) {
    throw input_error(path, "runs: expected an array (moebench model bench --json)");
  }
  CostSource s{"bench", path, json::object(), 0, {}};
  for (const char* key :
       {"model", "engine", "threads", "kernels", "programmatic_launch", "overlap"}) {
    if (j.contains(key)) s.details[key] = j[key];
  }
  for (size_t i = 0; i < j["runs"].size(); ++i) {
    const json& run = j["runs"][i];
    const std::string where = "runs[" + std::to_string(i) + "]";
    if (!run.is_object()) throw input_error(path, where + ": expected an object");
    if (!run.contains("batch") || !run["batch"].is_number_integer() ||
        run["batch"].get<long>() < 1) {
      throw input_error(path, where + ".batch: expected an integer >= 1");
    }
    CostPoint p;
    p.batch = run["batch"].get<int>();
    p.label = "batch " + std::to_string(p.batch);
    // Benches over several context lengths repeat each batch size: name the context too.
    if (run.contains("prompt") && run["prompt"].is_number_integer()) {
      p.label += ", ctx " + run["prompt"].dump();
    }
    p.prefill_tokens_per_s = get_rate(run, path, where, "prefill_tokens_per_s");
    p.decode_tokens_per_s = get_rate(run, path, where, "decode_tokens_per_s");
    s.points.push_back(p);
  }
  if (j.contains("prefill") && !j["prefill"].is_null()) {
    const json& pf = j["prefill"];
    if (!pf.is_object()) throw input_error(path, "prefill: expected an object");
    CostPoint p;
    p.label = "prefill";
    if (pf.contains("seqs") && pf.contains("len")) {
      p.label += " " + pf["seqs"].dump() + "x" + pf["len"].dump();
    }
    p.prefill_tokens_per_s = get_rate(pf, path, "prefill", "tokens_per_s");
    s.points.push_back(p);
  }
  if (s.points.empty()) throw input_error(path, "runs: empty (no throughput to cost)");
  if (std::none_of(s.points.begin(), s.points.end(), [](const CostPoint& p) {
        return p.prefill_tokens_per_s > 0 || p.decode_tokens_per_s > 0;
      })) {
    throw input_error(path, "no throughput > 0 in runs or prefill (nothing to cost)");
  }
  return s;
}

CostSource cost_read_run(const std::string& run) {
  const std::string path = std::filesystem::is_directory(run) ? run + "/run.json" : run;
  const json j = read_json(path);
  if (!j.is_object()) throw input_error(path, "expected a JSON object (run.json)");
  if (!j.contains("throughput") || !j["throughput"].is_object()) {
    throw input_error(path,
                      "throughput: missing (a run.json written before moebench recorded tokens/s)");
  }
  CostSource s{"run", path, json::object(), 0, {}};
  if (j.contains("run_id")) s.details["run_id"] = j["run_id"];
  if (j.contains("backend") && j["backend"].contains("id")) s.details["model"] = j["backend"]["id"];
  // API attempts that failed after their HTTP 200: the server processed them in the run's time
  // (its throughput counts them) and the provider billed them, for no answer.
  if (j.contains("tokens") && j["tokens"].is_object()) {
    const FailedAttempts f = failed_attempts_of(
        j["tokens"].value("failed_attempts", json::object()), path, "tokens.failed_attempts.");
    if (f.attempts > 0) {
      s.details["failed_attempts"] = {{"attempts", f.attempts},
                                      {"tokens", f.tokens.prompt + f.tokens.completion}};
    }
  }
  // NOTE: the built-in engine runs on one device, whatever the host holds: a run on an 8-GPU
  // machine used one of them. Other backends' GPUs are the host's.
  const bool builtin = j.contains("backend") && str_or(j["backend"], "family") == "builtin";
  if (builtin) {
    s.gpus = 1;
  } else if (j.contains("host") && j["host"].contains("gpus") && j["host"]["gpus"].is_array()) {
    s.gpus = static_cast<int>(j["host"]["gpus"].size());
  }
  CostPoint p;
  p.label = "run " + j.value("run_id", std::string("?"));
  p.prefill_tokens_per_s = get_rate(j["throughput"], path, "throughput", "prompt_tokens_per_s");
  p.decode_tokens_per_s = get_rate(j["throughput"], path, "throughput", "output_tokens_per_s");
  p.shared_time = true;
  if (p.prefill_tokens_per_s <= 0 && p.decode_tokens_per_s <= 0) {
    throw input_error(path, "throughput: no tokens were processed (every answer from the cache?)");
  }
  s.points.push_back(p);
  return s;
}

CostSource cost_from_flags(double prefill_tokens_per_s, double decode_tokens_per_s) {
  if (!(prefill_tokens_per_s >= 0)) throw InputError("--prefill-tps: must be > 0");
  if (!(decode_tokens_per_s >= 0)) throw InputError("--decode-tps: must be > 0");
  if (prefill_tokens_per_s == 0 && decode_tokens_per_s == 0) {
    throw InputError("--prefill-tps / --decode-tps: give at least one throughput > 0");
  }
  CostPoint p{"given", 0, prefill_tokens_per_s, decode_tokens_per_s, false};
  return {"flags", "", json::object(), 0, {p}};
}

std::vector<CostRow> cost_rows(const CostSource& source, double gpu_usd_per_hour, int gpus) {
  if (!(gpu_usd_per_hour > 0)) throw InputError("--gpu-hour-usd: must be > 0");
  if (gpus < 1) throw InputError("--gpus: must be >= 1");
  std::vector<CostRow> rows;
  for (const CostPoint& p : source.points) {
    CostRow r{p, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
    r.input = per_million(gpu_usd_per_hour, gpus, p.prefill_tokens_per_s);
    r.output = per_million(gpu_usd_per_hour, gpus, p.decode_tokens_per_s);
    // NOTE: a shared-time point's input and output figures each charge the whole wall time, so no
    // blend of them; its own mix (all_tokens) is its figure.
    if (r.input && r.output && !p.shared_time) r.blended = cost_blended(*r.input, *r.output);
    if (p.shared_time) {
      r.all_tokens =
          per_million(gpu_usd_per_hour, gpus, p.prefill_tokens_per_s + p.decode_tokens_per_s);
    }
    rows.push_back(r);
  }
  return rows;
}

nlohmann::json cost_report_json(const CostReport& r) {
  json rows = json::array();
  for (const CostRow& row : r.rows) {
    const CostPoint& p = row.point;
    json j = {{"label", p.label},
              {"batch", p.batch > 0 ? json(p.batch) : json(nullptr)},
              {"prefill_tokens_per_s", rate(p.prefill_tokens_per_s)},
              {"decode_tokens_per_s", rate(p.decode_tokens_per_s)},
              {"input_usd_per_million", opt(row.input)},
              {"output_usd_per_million", opt(row.output)},
              {"blended_usd_per_million", opt(row.blended)},
              {"shared_time", p.shared_time}};
    if (p.shared_time) j["all_tokens_usd_per_million"] = opt(row.all_tokens);
    rows.push_back(j);
  }
  json api = json::array();
  for (const CostApiRow& a : r.api) {
    const bool on = a.priced;
    api.push_back(
        {{"name", a.name},
         {"provider", a.provider},
         {"model", a.model},
         {"priced", on},
         {"currency", on ? json(a.currency) : json(nullptr)},
         {"effective_from", on ? json(a.effective_from) : json(nullptr)},
         {"effective_until",
          on && !a.effective_until.empty() ? json(a.effective_until) : json(nullptr)},
         {"input_cache_hit_usd_per_million", on ? json(a.input_cache_hit) : json(nullptr)},
         {"input_cache_write_usd_per_million", on ? json(a.input_cache_write) : json(nullptr)},
         {"off_peak", off_peak_json(a)},
         {"off_peak_in_effect", on && a.off_peak_now},
         {"standard", standard_json(a)},
         {"input_usd_per_million", on ? json(a.input) : json(nullptr)},
         {"output_usd_per_million", on ? json(a.output) : json(nullptr)},
         {"blended_usd_per_million", on ? json(a.blended()) : json(nullptr)}});
  }
  return {
      {"kind", "moebench-cost"},
      {"schema", kCostSchemaVersion},
      {"formula",
       {{"usd_per_million", "gpu_usd_per_hour * gpus / (tokens_per_s * 3600) * 1e6"},
        {"input", "prefill tokens/s"},
        {"output", "decode tokens/s"},
        {"blended", "(3 * input + 1 * output) / 4 (Artificial Analysis); API: cache-miss input"}}},
      {"inputs", source_json(r.source)},
      {"gpu_usd_per_hour", r.gpu_usd_per_hour},
      {"gpus", r.gpus},
      {"usd_per_hour", r.gpu_usd_per_hour * r.gpus},
      {"rows", rows},
      {"api",
       {{"date", r.date},
        {"models_file", r.models_file},
        {"models", api},
        {"note", r.api.empty() ? json(cost_no_api_note(r)) : json(nullptr)}}}};
}

std::string cost_format_text(const CostReport& r) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "own hardware: $%s/GPU-hour x %d GPU%s = $%s/hour; ",
                usd(r.gpu_usd_per_hour).c_str(), r.gpus, r.gpus == 1 ? "" : "s",
                usd(r.gpu_usd_per_hour * r.gpus).c_str());
  std::string s = buf + cost_source_text(source_json(r.source)) + "\n";
  s += "$ per 1M tokens: input = prefill, output = decode, blended = (3 x input + output) / 4\n\n";
  std::snprintf(buf, sizeof(buf), "%-18s %14s %13s %11s %11s %12s\n", "row", "prefill tok/s",
                "decode tok/s", "$/1M input", "$/1M output", "$/1M blended");
  s += buf;
  for (const CostRow& row : r.rows) {
    std::snprintf(buf, sizeof(buf), "%-18s %14s %13s %11s %11s %12s\n", row.point.label.c_str(),
                  tps(row.point.prefill_tokens_per_s).c_str(),
                  tps(row.point.decode_tokens_per_s).c_str(), usd(row.input).c_str(),
                  usd(row.output).c_str(), usd(row.blended).c_str());
    s += buf;
  }
  s += shared_time_note(r);
  if (r.api.empty()) return s + "\n" + cost_no_api_note(r) + "\n";
  s += "\nAPI prices in effect on " + r.date + " (" + r.models_file +
       "), $ per 1M tokens; blended uses the cache-miss input:\n";
  std::snprintf(buf, sizeof(buf), "%-18s %-18s %9s %9s %9s %9s  %s\n", "model", "provider",
                "cache hit", "input", "output", "blended", "in effect");
  s += buf;
  for (const CostApiRow& a : r.api) {
    std::snprintf(buf, sizeof(buf), "%-18s %-18s %9s %9s %9s %9s  %s\n", a.name.c_str(),
                  a.provider.c_str(), a.priced ? usd(a.input_cache_hit).c_str() : "-",
                  a.priced ? usd(a.input).c_str() : "-", a.priced ? usd(a.output).c_str() : "-",
                  a.priced ? usd(a.blended()).c_str() : "-", in_effect(a, r.date).c_str());
    s += buf;
  }
  return s + off_peak_lines(r, "");
}

std::string cost_format_markdown(const CostReport& r) {
  std::string s = "### Cost per 1M tokens\n\n";
  s += "Own hardware: $" + usd(r.gpu_usd_per_hour) + "/GPU-hour x " + std::to_string(r.gpus) +
       (r.gpus == 1 ? " GPU; " : " GPUs; ") + cost_source_text(source_json(r.source)) +
       ". Input = prefill, output = decode, blended = (3 x input + output) / 4.\n\n";
  s += "| row | prefill tok/s | decode tok/s | $/1M input | $/1M output | $/1M blended |\n";
  s += "| --- | ---: | ---: | ---: | ---: | ---: |\n";
  for (const CostRow& row : r.rows) {
    s += "| " + row.point.label + " | " + tps(row.point.prefill_tokens_per_s) + " | " +
         tps(row.point.decode_tokens_per_s) + " | " + usd(row.input) + " | " + usd(row.output) +
         " | " + usd(row.blended) + " |\n";
  }
  if (const std::string note = shared_time_note(r); !note.empty()) s += "\n" + note;
  if (r.api.empty()) return s + "\n" + cost_no_api_note(r) + ".\n";
  s += "\nAPI prices in effect on " + r.date + " (blended uses the cache-miss input):\n\n";
  s += "| model | provider | cache hit | input | output | blended | in effect |\n";
  s += "| --- | --- | ---: | ---: | ---: | ---: | --- |\n";
  for (const CostApiRow& a : r.api) {
    const auto cell = [&](double v) { return a.priced ? usd(v) : std::string("-"); };
    s += "| " + a.name + " | " + a.provider + " | " + cell(a.input_cache_hit) + " | " +
         cell(a.input) + " | " + cell(a.output) + " | " + cell(a.blended()) + " | " +
         in_effect(a, r.date) + " |\n";
  }
  const std::string off_peak = off_peak_lines(r, "- ");
  return off_peak.empty() ? s : s + "\n" + off_peak;
}

}  // namespace moebench
