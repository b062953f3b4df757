// nightly_config_read: every field checked, unknown fields refused by name.
#include "harness/cli/nightly_config.h"

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "common/error.h"
#include "common/error_gate.h"
#include "common/json_file.h"

namespace moebench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Fields {
  std::string file;
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw input_error(file, "field '" + field + "': " + what);
  }
  void only(const json& j, const std::string& at, const std::set<std::string>& known) const {
    if (!j.is_object()) fail(at.empty() ? "(top)" : at, "expected an object");
    for (const auto& [key, v] : j.items()) {
      if (!known.count(key)) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        fail(at.empty() ? key : at + "." + key, "unknown field (known: " + list + ")");
      }
    }
  }
  std::string str(const json& j, const char* key, const std::string& at, bool required) const {
    if (!j.contains(key)) {
      if (required) fail(at + key, "missing");
      return "";
    }
    if (!j[key].is_string() || j[key].get<std::string>().empty()) {
      fail(at + key, "expected a non-empty string");
    }
    return j[key].get<std::string>();
  }
  double number(const json& j, const char* key, const std::string& at, double fallback, double lo,
                double hi) const {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_number() || j[key].get<double>() < lo || j[key].get<double>() > hi) {
      fail(at + key, "expected a number from " + json(lo).dump() + " to " + json(hi).dump());
    }
    return j[key].get<double>();
  }
  long integer(const json& j, const char* key, const std::string& at, long fallback,
               long lo) const {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_number_integer() || j[key].get<long>() < lo) {
      fail(at + key, "expected an integer >= " + std::to_string(lo));
    }
    return j[key].get<long>();
  }
  std::vector<std::string> strings(const json& j, const char* key, const std::string& at) const {
    if (!j.contains(key) || !j[key].is_array() || j[key].empty()) {
      fail(at + key, "expected a non-empty list of strings");
    }
    std::vector<std::string> out;
    for (const json& v : j[key]) {
      if (!v.is_string() || v.get<std::string>().empty()) {
        fail(at + key, "expected a non-empty list of strings");
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }
};

NightlyEntry read_entry(const Fields& f, const json& j, const std::string& at) {
  f.only(j, at.substr(0, at.size() - 1),
         {"name", "backend", "suites", "limit", "shards", "seed", "samples", "backend_opts",
          "max_error_rate", "baseline"});
  NightlyEntry e;
  e.name = f.str(j, "name", at, true);
  static const std::regex safe("[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}");
  if (!std::regex_match(e.name, safe)) {
    f.fail(at + "name", "'" + e.name + "': letters, digits, '.', '_', '-' (a run id prefix)");
  }
  e.backend = f.str(j, "backend", at, true);
  e.suites = f.strings(j, "suites", at);
  if (j.contains("limit")) e.limit = f.integer(j, "limit", at, 0, 1);
  const long shards = f.integer(j, "shards", at, 1, 1);
  if (shards > 1024) f.fail(at + "shards", "at most 1024");
  e.shards = static_cast<int>(shards);
  e.seed = static_cast<uint64_t>(f.integer(j, "seed", at, 1234, 0));
  if (j.contains("samples")) {
    if (!j["samples"].is_boolean()) f.fail(at + "samples", "expected true or false");
    e.samples = j["samples"].get<bool>();
  }
  if (j.contains("backend_opts")) {
    if (!j["backend_opts"].is_object()) f.fail(at + "backend_opts", "expected an object");
    for (const auto& [k, v] : j["backend_opts"].items()) {
      if (!v.is_string()) f.fail(at + "backend_opts." + k, "expected a string");
      e.backend_opts[k] = v.get<std::string>();
    }
  }
  e.max_error_rate = f.number(j, "max_error_rate", at, kDefaultMaxErrorRate, 0, 1);
  e.baseline = f.str(j, "baseline", at, false);
  if (!e.baseline.empty() && !std::regex_match(e.baseline, safe)) {
    f.fail(at + "baseline", "'" + e.baseline + "': a run id under results");
  }
  return e;
}

fs::path relative_to(const fs::path& base, const std::string& p) {
  return p.empty() ? fs::path() : fs::path(p).is_absolute() ? fs::path(p) : base / p;
}

// The paths of an entry (`replay:<file>`, `builtin:<dir>`, backend_opts.ca_file) are the config's,
// as its other paths: a cell reads the same file by hand, on GitHub and on Slurm (cwd <results>).
void resolve_entry_paths(const fs::path& base, NightlyEntry* e) {
  const size_t colon = e->backend.find(':');
  const std::string scheme = e->backend.substr(0, colon);
  if ((scheme == "replay" || scheme == "builtin") && colon + 1 < e->backend.size()) {
    e->backend =
        scheme + ":" + relative_to(base, e->backend.substr(colon + 1)).lexically_normal().string();
  }
  if (auto it = e->backend_opts.find("ca_file"); it != e->backend_opts.end()) {
    it->second = relative_to(base, it->second).lexically_normal().string();
  }
}

}  // namespace

const NightlyEntry& NightlyConfig::entry(const std::string& name) const {
  std::string known;
  for (const NightlyEntry& e : entries) {
    if (e.name == name) return e;
    known += (known.empty() ? "" : ", ") + e.name;
  }
  throw InputError("--entry '" + name + "': not an entry of " + file.string() +
                   " (entries: " + known + ")");
}

NightlyConfig nightly_config_read(const fs::path& file,
                                  const std::vector<std::string>& kernels_default) {
  const Fields f{file.string()};
  const json j = json_read_file(file, f.file, "cannot read the nightly config");
  f.only(j, "",
         {"schema", "results", "data_dir", "models", "include_path", "gate", "kernels", "entries"});
  if (!j.contains("schema") || j["schema"] != 1) f.fail("schema", "expected 1");
  NightlyConfig c;
  c.file = file;
  const fs::path base = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  c.results = relative_to(base, j.contains("results") ? f.str(j, "results", "", true) : "nightly")
                  .lexically_normal();
  c.data_dir = relative_to(base, f.str(j, "data_dir", "", false));
  c.models = relative_to(base, f.str(j, "models", "", false));
  if (j.contains("include_path")) {
    const std::vector<std::string> dirs = f.strings(j, "include_path", "");
    for (size_t i = 0; i < dirs.size(); ++i) {
      const fs::path dir = relative_to(base, dirs[i]).lexically_normal();
      if (!fs::is_directory(dir)) {
        f.fail("include_path[" + std::to_string(i) + "]",
               "'" + dir.string() + "' is not a directory");
      }
      c.include_path.push_back(fs::absolute(dir));
    }
  }
  if (j.contains("gate")) {
    const json& g = j["gate"];
    f.only(g, "gate", {"alpha", "threshold", "kernel_threshold"});
    c.alpha = f.number(g, "alpha", "gate.", 0.05, 1e-9, 0.5);
    c.threshold = f.number(g, "threshold", "gate.", 0.01, 0, 1);
    c.kernel_threshold = f.number(g, "kernel_threshold", "gate.", 0.05, 0, 100);
  }
  c.kernels_command = kernels_default;
  if (j.contains("kernels")) {
    const json& k = j["kernels"];
    f.only(k, "kernels", {"run", "command"});
    if (k.contains("run")) {
      c.kernels_run = f.str(k, "run", "kernels.", true);
      if (c.kernels_run != "gpu" && c.kernels_run != "always" && c.kernels_run != "never") {
        f.fail("kernels.run", "'" + c.kernels_run + "': expected gpu, always or never");
      }
    }
    if (k.contains("command")) c.kernels_command = f.strings(k, "command", "kernels.");
  }
  if (!j.contains("entries") || !j["entries"].is_array() || j["entries"].empty()) {
    f.fail("entries", "expected a non-empty list");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < j["entries"].size(); ++i) {
    const std::string at = "entries[" + std::to_string(i) + "].";
    c.entries.push_back(read_entry(f, j["entries"][i], at));
    resolve_entry_paths(base, &c.entries.back());
    if (!names.insert(c.entries.back().name).second) {
      f.fail(at + "name", "'" + c.entries.back().name + "' is the name of an earlier entry");
    }
  }
  return c;
}

}  // namespace moebench
