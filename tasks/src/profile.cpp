// Profiles: reading and validating tasks/profiles/<name>.json, and a suite spec under a profile.
#include "tasks/profile.h"

#include <algorithm>

#include "common/error.h"
#include "common/json_file.h"
#include "tasks/src/spec_fields.h"
#include "tasks/src/spec_model.h"

namespace moebench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kProfileSchema = 1;

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

SuiteProfile builtin_default() {
  SuiteProfile p;
  p.name = kDefaultProfile;
  p.version = "1";
  p.description = "Each suite's own spec: lm-eval's default settings.";
  p.source = "the suite specs (tasks/<area>/<suite>.json)";
  p.suites["*"] = {"the suite's own spec, unchanged", json::object()};
  return p;
}

std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

std::string dirs_text(const TaskDirs& dirs) {
  std::string out;
  for (const fs::path& d : dirs.all()) out += (out.empty() ? "" : ", ") + d.string();
  return out;
}

}  // namespace

const char* prompt_form_name(PromptForm form) {
  switch (form) {
    case PromptForm::kCompletion:
      return "completion";
    case PromptForm::kChat:
      return "chat";
    case PromptForm::kAuto:
      break;
  }
  return "auto";
}

const ProfileSuite* SuiteProfile::find(const std::string& suite) const {
  auto it = suites.find(suite);
  if (it == suites.end()) it = suites.find("*");
  return it == suites.end() ? nullptr : &it->second;
}

json SuiteProfile::record(const std::string& suite) const {
  const ProfileSuite* s = find(suite);
  return {{"name", name},
          {"version", version},
          {"source", source},
          {"form", prompt_form_name(form)},
          {"notes", s ? s->notes : ""}};
}

std::pair<std::string, std::string> profile_split_name(const std::string& text) {
  const size_t at = text.find('@');
  if (at == std::string::npos) return {text, ""};
  std::string suite = text.substr(0, at), profile = text.substr(at + 1);
  if (suite.empty() || profile.empty() || profile.find('@') != std::string::npos) {
    throw InputError("suite '" + text + "': expected SUITE or SUITE@PROFILE, e.g. gsm8k@chat");
  }
  return {suite, profile};
}

SuiteProfile profile_read(const fs::path& file) {
  const std::string display = spec_display_path(file);
  const json raw = json_read_file(file, display, "cannot read profile file");
  if (!raw.is_object()) throw input_error(display, "expected a JSON object");
  SpecFields top(raw, display, "");
  if (top.integer("schema", 0, true) != kProfileSchema) {
    top.fail("schema",
             "unsupported schema (this moebench reads " + std::to_string(kProfileSchema) + ")");
  }
  SuiteProfile p;
  p.file = file;
  p.name = top.str("name");
  if (p.name != file.stem().string())
    top.fail("name", "'" + p.name + "' differs from the file name");
  if (!valid_name(p.name)) top.fail("name", "use lower-case letters, digits, '-', '_', '.'");
  p.version = top.str("version");
  p.description = top.str("description");
  p.source = top.str("source");
  p.notes = top.str("notes", "");
  const std::string form = top.one_of("form", {"auto", "completion", "chat"});
  p.form = form == "chat"         ? PromptForm::kChat
           : form == "completion" ? PromptForm::kCompletion
                                  : PromptForm::kAuto;
  SpecFields suites = top.object("suites");
  const json& entries = top.any("suites");
  if (entries.empty()) top.fail("suites", "names no suite");
  for (const auto& [suite, value] : entries.items()) {
    SpecFields e = suites.object(suite);
    ProfileSuite s;
    s.notes = e.str("notes");
    s.set = e.has("set") ? e.any("set") : json::object();
    if (!s.set.is_object()) e.fail("set", "expected an object (a merge patch over the suite spec)");
    for (const char* fixed : {"schema", "name", "area", "dataset", "samples"}) {
      if (s.set.contains(fixed)) {
        e.fail(std::string("set.") + fixed,
               "a profile cannot change the suite's " + std::string(fixed));
      }
    }
    e.finish();
    p.suites[suite] = std::move(s);
  }
  suites.finish();
  top.finish();
  return p;
}

std::vector<SuiteProfile> profile_list(const TaskDirs& dirs) {
  std::vector<SuiteProfile> out;
  for (const fs::path& tasks_dir : dirs.all()) {
    const fs::path dir = tasks_dir / "profiles";
    if (!fs::is_directory(dir)) continue;
    std::vector<fs::path> files;
    for (const fs::directory_entry& f : fs::directory_iterator(dir)) {
      if (f.is_regular_file() && f.path().extension() == ".json") files.push_back(f.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      SuiteProfile p = profile_read(f);
      for (const SuiteProfile& q : out) {
        if (q.name == p.name) {
          throw input_error(spec_display_path(f), "profile name '" + p.name + "' is also used by " +
                                                      spec_display_path(q.file));
        }
      }
      out.push_back(std::move(p));
    }
  }
  if (std::none_of(out.begin(), out.end(),
                   [](const SuiteProfile& p) { return p.name == kDefaultProfile; })) {
    out.push_back(builtin_default());
  }
  std::sort(out.begin(), out.end(),
            [](const SuiteProfile& a, const SuiteProfile& b) { return a.name < b.name; });
  return out;
}

SuiteProfile profile_find(const TaskDirs& dirs, const std::string& name) {
  std::vector<std::string> known;
  for (SuiteProfile& p : profile_list(dirs)) {
    if (p.name == name) return std::move(p);
    known.push_back(p.name);
  }
  throw InputError("unknown profile '" + name + "' (known: " + list_names(known) + ")");
}

SuiteSpec profile_apply(const SuiteSpec& base, const SuiteProfile& profile, const TaskDirs& dirs) {
  const ProfileSuite* settings = profile.find(base.name);
  if (settings == nullptr) {
    std::vector<std::string> covering;
    for (const SuiteProfile& p : profile_list(dirs)) {
      if (p.find(base.name)) covering.push_back(p.name);
    }
    throw InputError("profile '" + profile.name + "' has no settings for suite '" + base.name +
                     "' (profiles of " + base.name + ": " + list_names(covering) + ")");
  }
  SuiteSpec out;
  if (settings->set.empty()) {
    out = base;
  } else {
    json raw = base.raw;
    raw.merge_patch(settings->set);
    const std::string display = spec_display_path(profile.file) + " (suites." + base.name +
                                " over " + spec_display_path(base.file) + ")";
    SpecModel model;
    spec_parse(raw, display, &out, &model);
    out.file = base.file;
  }
  out.profile = profile.name;
  out.form = profile.form;
  out.profile_record = profile.record(base.name);
  return out;
}

SuiteSpec suite_find_profiled(const TaskDirs& dirs, const std::string& name,
                              const std::string& default_profile) {
  auto [suite, profile] = profile_split_name(name);
  if (profile.empty()) profile = default_profile;
  SuiteSpec base = suite_find_spec(dirs, suite);
  const SuiteProfile found = profile_find(dirs, profile);
  if (found.file.empty()) return base;  // the built-in default: the spec as written
  return profile_apply(base, found, dirs);
}

std::vector<SuiteSpec> profile_specs(const TaskDirs& dirs, const std::string& name) {
  const SuiteProfile profile = profile_find(dirs, name);
  std::vector<SuiteSpec> out;
  for (const SuiteSpec& base : suite_list_specs(dirs)) {
    if (profile.find(base.name)) out.push_back(profile_apply(base, profile, dirs));
  }
  for (const auto& entry : profile.suites) {
    const std::string& suite = entry.first;  // (clang cannot capture a structured binding)
    if (suite == "*") continue;
    if (std::none_of(out.begin(), out.end(), [&](const SuiteSpec& s) { return s.name == suite; })) {
      throw input_error(
          spec_display_path(profile.file),
          "field 'suites." + suite + "': no suite of that name in " + dirs_text(dirs));
    }
  }
  return out;
}

}  // namespace moebench
