// The baselines of a nightly entry: the earlier nights that passed its gate (gate.json, for the
// run still on disk), and the newest of them that ran each of tonight's suites.
#include "harness/cli/nightly_baselines.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "common/hash.h"
#include "common/json_file.h"
#include "reports/json_fields.h"

namespace moebench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Whether the run now in `run` is the one a gate.json record judged: its samples.jsonl has the
// recorded hash. A record without one (a gate.json of a moebench before the hash) is taken as is.
bool is_gated_run(const json& record, const fs::path& run) {
  if (!record.contains("samples_sha256")) return true;
  try {
    return str_or(record, "samples_sha256") == sha256_file_hex(run / "samples.jsonl");
  } catch (const std::exception&) {
    return false;  // unreadable: not the run the gate read
  }
}

// Why `entry` did not pass the gate of `night` ("" when it did): its gate.json must record the
// entry with no error and no regression, for the run on disk. A night never gated for it (a shard
// failed and finish never ran, finish was killed, runs made by hand) did not: its runs were never
// checked; nor did a night whose run stage ran again after its finish (the run the gate passed is
// gone).
std::string not_passed_why(const fs::path& results, const std::string& entry,
                           const std::string& night) {
  const json gate = nightly_night_gate(results, night);
  if (gate.is_null()) return "was never gated (its finish did not run)";
  for (const json& e : gate.value("entries", json::array())) {
    if (!e.is_object() || str_or(e, "entry") != entry) continue;
    auto regressed = [](const json& record) {
      const json& c = record.contains("comparison") ? record["comparison"] : json();
      return c.is_object() && c.value("regression", false) == true;
    };
    bool regression = regressed(e);
    for (const json& x : e.value("earlier", json::array())) regression |= regressed(x);
    if (!str_or(e, "error").empty()) return "failed";
    if (regression) return "regressed";
    if (!is_gated_run(e, results / (entry + "-" + night))) {
      return "was run again after its finish (its samples.jsonl is not the one gated)";
    }
    return "";
  }
  return "was never gated (its night's finish did not gate the entry)";
}

// "samples -> datasets" when one run ran the bundled sample documents and the other the datasets
// (the same document ids name other questions: nothing pairs); "" otherwise.
std::string scope_change(const RunSummary& a, const RunSummary& b) {
  auto scope = [](const RunSummary& r) {
    return std::string(r.base_scope.rfind("samples", 0) == 0 ? "samples" : "datasets");
  };
  return scope(a) == scope(b) ? "" : scope(a) + " -> " + scope(b);
}

}  // namespace

bool nightly_is_date(const std::string& s) {
  return s.size() == 10 && s[4] == '-' && s[7] == '-' &&
         std::all_of(s.begin(), s.end(), [](char ch) {
           return std::isdigit(static_cast<unsigned char>(ch)) || ch == '-';
         });
}

json nightly_night_gate(const fs::path& results, const std::string& night) {
  const fs::path file = results / "nights" / night / "gate.json";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return nullptr;
  const json gate = json_read_file(file, file.string(), "cannot read");
  return gate.is_object() ? gate : json(nullptr);
}

std::vector<std::string> nightly_passing_runs(const fs::path& results, const std::string& entry,
                                              const std::string& night,
                                              std::vector<std::string>* skipped) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(results, ec)) return out;
  const std::string prefix = entry + "-";
  std::set<std::string> dates;
  for (const auto& d : fs::directory_iterator(results, ec)) {
    const std::string name = d.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string date = name.substr(prefix.size());
    if (nightly_is_date(date) && date < night && fs::is_regular_file(d.path() / "run.json", ec)) {
      dates.insert(date);
    }
  }
  for (auto it = dates.rbegin(); it != dates.rend(); ++it) {
    const std::string why = not_passed_why(results, entry, *it);
    if (why.empty()) {
      out.push_back(prefix + *it);
    } else if (skipped) {
      skipped->push_back(prefix + *it + " " + why);
    }
  }
  return out;
}

const RunSummary& NightlyBaselineRuns::get(const std::string& id) {
  auto it = loaded.find(id);
  if (it == loaded.end()) it = loaded.emplace(id, run_load_summary(results / id)).first;
  return it->second;
}

std::string nightly_suite_baseline(const SuiteResult& s, const RunSummary& b,
                                   NightlyBaselineRuns* runs, std::string* run) {
  for (const std::string& id : runs->ids) {
    const RunSummary& a = runs->get(id);
    const SuiteResult* before = a.suite(s.name);
    if (!before) continue;
    std::string change = scope_change(a, b);
    if (change.empty()) change = suite_setup_change(*before, s);
    if (change.empty()) *run = id;
    return change;
  }
  return "";
}

}  // namespace moebench
