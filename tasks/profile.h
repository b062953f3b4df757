// Evaluation profiles: one suite under a named, documented setting (lm-eval's defaults, the
// DeepSeek-V3 report's, simple-evals' zero-shot chat). A profile is data,
// tasks/profiles/<name>.json: per suite a JSON merge patch (RFC 7386) over the suite spec and a
// note on what it changes and why. The schema is in tasks/README.md ("Profiles").
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tasks/suite.h"

namespace moebench {

struct ProfileSuite {
  std::string notes;   // what the profile sets for this suite, and what its source leaves open
  nlohmann::json set;  // merge patch over the suite spec (an object; {} = the spec as written)
};

struct SuiteProfile {
  std::string name;
  std::string version;  // bump when any setting changes
  std::string description;
  std::string source;  // where the settings come from (paper, section, table; reference code)
  std::string notes;
  PromptForm form = PromptForm::kAuto;
  std::map<std::string, ProfileSuite> suites;  // suite name -> settings; "*" = every other suite
  std::filesystem::path file;                  // "" for the built-in default

  // The settings for `suite`, or nullptr when the profile does not cover it.
  const ProfileSuite* find(const std::string& suite) const;
  // What run.json records of the profile for one suite: {name, version, source, notes}.
  nlohmann::json record(const std::string& suite) const;
};

// "gsm8k@chat" -> {"gsm8k", "chat"}; "gsm8k" -> {"gsm8k", ""}. InputError on "@x", "x@", "a@b@c".
std::pair<std::string, std::string> profile_split_name(const std::string& text);

// Reads and validates one profile file; InputError naming the file and the field.
SuiteProfile profile_read(const std::filesystem::path& file);
// Every profile under <dir>/profiles/ of every dir, sorted by name; the default (lm-eval) is always
// there, built in when the directory has no file for it.
std::vector<SuiteProfile> profile_list(const TaskDirs& dirs);
// InputError "unknown profile 'x' (known: ...)" when absent.
SuiteProfile profile_find(const TaskDirs& dirs, const std::string& name);

// `base` (a spec as written, default profile) under `profile`: the patch merged and the result
// validated again; InputError naming the profile file, the suite and the field. InputError too
// when the profile does not cover the suite, listing the profiles that do.
SuiteSpec profile_apply(const SuiteSpec& base, const SuiteProfile& profile, const TaskDirs& dirs);

// The spec of "suite" or "suite@profile" (`default_profile` when the name has no '@').
SuiteSpec suite_find_profiled(const TaskDirs& dirs, const std::string& name,
                              const std::string& default_profile = kDefaultProfile);
// Every suite a profile covers, under it, sorted by name.
std::vector<SuiteSpec> profile_specs(const TaskDirs& dirs, const std::string& profile);

const char* prompt_form_name(PromptForm form);

}  // namespace moebench
