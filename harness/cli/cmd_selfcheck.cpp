// `moebench selfcheck`: the oracle must score 100% on every suite under every profile, by
// likelihood and (for choice suites) again by generated letters; any other result names the failed
// documents.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "common/error.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"
#include "tasks/profile.h"

namespace moebench {
namespace {

struct CheckResult {
  long failures = 0;
  long exceptions = 0;
};

// Documents a spec declares the oracle cannot pass, with the reason ("oracle_exceptions").
std::map<std::string, std::string> oracle_exceptions(const SuiteSpec& spec) {
  std::map<std::string, std::string> out;
  if (!spec.raw.contains("oracle_exceptions")) return out;
  for (const auto& e : spec.raw["oracle_exceptions"]) {
    out[e.value("doc_id", "")] = e.value("reason", "");
  }
  return out;
}

CheckResult check_suite(const SuiteRun& run, const char* mode) {
  CheckResult r;
  auto allowed = oracle_exceptions(run.instance->spec());
  int shown = 0;
  for (size_t d = 0; d < run.docs.size(); ++d) {
    const Doc& doc = *run.docs[d];
    std::string why;
    if (run.responses[d].error) {
      why = std::string(error_type_name(run.responses[d].error->type)) + ": " +
            run.responses[d].error->message;
    }
    for (const MetricKey& k : run.scorer->keys()) {
      auto it = run.scores[d].values.find(k.id());
      double v = it == run.scores[d].values.end() ? 0 : it->second;
      if (why.empty() && k.higher_is_better && v < 1.0) {
        why = k.id() + " = " + std::to_string(v) + " (filtered " +
              nlohmann::json(run.scores[d].filtered).dump() + ")";
      }
    }
    if (why.empty()) continue;
    if (allowed.count(doc.id)) {
      ++r.exceptions;
      std::printf("  documented exception %s/%s: %s\n", run.instance->spec().key().c_str(),
                  doc.id.c_str(), allowed[doc.id].c_str());
      continue;
    }
    ++r.failures;
    if (shown++ < 5) {
      std::printf("  FAIL [%s] %s/%s (%s): %s\n", mode, run.instance->spec().key().c_str(),
                  doc.id.c_str(), doc.source.c_str(), why.substr(0, 400).c_str());
    }
  }
  return r;
}

long check_outcome(const RunOutcome& out, const char* mode) {
  long failures = 0;
  for (const SuiteRun& run : out.suites) {
    CheckResult r = check_suite(run, mode);
    failures += r.failures;
    std::printf("%-32s %-12s %7zu docs  %s", run.instance->spec().key().c_str(), mode,
                run.docs.size(), r.failures ? "FAILED" : "ok");
    if (r.failures) std::printf(" (%ld failed)", r.failures);
    if (r.exceptions) std::printf(" (%ld documented exceptions)", r.exceptions);
    std::printf("\n");
  }
  std::printf(
      "%s: %ld documents in %.2f s (%.0f docs/s; load %.2f s, scoring %.2f s, write %.2f "
      "s); results: %s\n",
      mode, out.docs, out.timings.total_s,
      out.timings.total_s > 0 ? out.docs / out.timings.total_s : 0.0, out.timings.load_s,
      out.timings.scoring_s, out.timings.write_s, (out.dir / "run.json").c_str());
  return failures;
}

// One profile: the oracle by likelihood (or as the profile prompts), then choice suites again by
// generated letters. Returns the failing documents; -1 when interrupted.
long check_profile(RunOptions options, bool chat_too,
                   std::vector<std::filesystem::path>* result_dirs) {
  options.use_cache = false;  // a cached answer could hide a changed oracle template
  options.backend = "oracle";
  RunOutcome out = run_evaluation(options);
  if (out.interrupted) return -1;
  std::printf("sandbox: %s\n", out.sandbox_isolation.c_str());
  if (!out.sandbox_accounting.empty()) std::printf("  %s\n", out.sandbox_accounting.c_str());
  long failures = check_outcome(out, "oracle");
  result_dirs->push_back(out.dir);

  std::vector<std::string> choice_suites;
  for (const SuiteRun& run : out.suites) {
    if (run.instance->spec().output == OutputKind::kChoice) {
      choice_suites.push_back(run.instance->spec().key());
    }
  }
  if (chat_too && !choice_suites.empty()) {
    options.backend = "oracle-chat";
    options.suites = choice_suites;
    RunOutcome chat = run_evaluation(options);
    if (chat.interrupted) return -1;
    failures += check_outcome(chat, "oracle-chat");
    result_dirs->push_back(chat.dir);
  }
  return failures;
}

// NOTE: a --suites SUITE@PROFILE whose profile was mistyped or not among those run was dropped,
// and with none left selfcheck printed "selfcheck passed" having checked nothing, exit 0. The
// profile must exist (as run requires) and be --profile's when one is given.
void check_suite_profiles(const RunOptions& options, const std::string& only_profile) {
  for (const std::string& s : options.suites) {
    const std::string at = profile_split_name(s).second;
    if (at.empty()) continue;
    profile_find(options.source.task_dirs(), at);  // InputError "unknown profile 'x' (known: ...)"
    if (!only_profile.empty() && at != only_profile) {
      throw InputError("--suites " + s + ": profile '" + at + "' is not --profile '" +
                       only_profile + "'; drop one of them");
    }
  }
}

// Every profile (or the one --profile names), each over the suites it covers (of --suites, when
// given: a name with @PROFILE only under that profile).
int selfcheck(const RunOptions& options, const std::string& only_profile, bool chat_too) {
  check_suite_profiles(options, only_profile);
  std::vector<std::string> profiles;
  if (!only_profile.empty()) {
    profiles.push_back(profile_find(options.source.task_dirs(), only_profile).name);
  } else {
    for (const SuiteProfile& p : profile_list(options.source.task_dirs()))
      profiles.push_back(p.name);
  }
  long failures = 0;
  std::vector<std::filesystem::path> result_dirs;
  for (const std::string& name : profiles) {
    RunOptions o = options;
    o.profile = name;
    if (!options.suites.empty()) {
      const SuiteProfile profile = profile_find(options.source.task_dirs(), name);
      o.suites.clear();
      for (const std::string& s : options.suites) {
        auto [suite, at] = profile_split_name(s);
        if (at.empty() ? profile.find(suite) != nullptr : at == name) o.suites.push_back(suite);
      }
      if (o.suites.empty()) continue;
    }
    std::printf("%sprofile %s\n", result_dirs.empty() ? "" : "\n", name.c_str());
    const long f = check_profile(o, chat_too, &result_dirs);
    if (f < 0) return kExitInterrupted;
    failures += f;
  }
  if (result_dirs.empty()) {
    throw InputError("selfcheck: no suite of --suites is in the profiles it runs; nothing checked");
  }
  std::printf("\nselfcheck %s: %ld failing documents\n", failures ? "FAILED" : "passed", failures);
  for (const auto& dir : result_dirs) {
    std::printf("results: %s (samples.jsonl beside it)\n", (dir / "run.json").c_str());
  }
  return failures ? kExitSelfcheckFailed : kExitOk;
}

struct SelfcheckFlags {
  CommonFlags common;
  bool no_chat = false;
};

}  // namespace

Command cmd_selfcheck(CLI::App& app, const CliContext& context) {
  auto f = std::make_shared<SelfcheckFlags>();
  CLI::App* check = app.add_subcommand(
      "selfcheck", "Score every suite with the oracle backend: every metric must be 100%");
  cli_add_common_flags(check, &f->common);
  check->add_flag("--no-chat", f->no_chat,
                  "Skip the second pass that scores choice suites by generated letters");
  return {check, [f, context] {
            RunOptions o;
            o.command_line = context.command_line;
            o.config = *context.config;
            cli_apply_common_flags(f->common, &o);
            return selfcheck(o, f->common.profile, !f->no_chat);
          }};
}

}  // namespace moebench
