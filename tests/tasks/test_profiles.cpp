// Profiles (tasks/profiles/*.json): validation of the files, a suite under a profile (the merge
// patch, the key, the record), "suite@profile" names, and the shipped profiles' settings.
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "tasks/profile.h"
#include "tests/catch.h"

namespace fs = std::filesystem;
using moebench::InputError;
using moebench::SuiteSpec;
using nlohmann::json;

namespace {

const fs::path kTasks = fs::path(MOEBENCH_SOURCE_DIR) / "tasks";

// A tasks dir holding gsm8k's spec and one profile file written from `profile`.
fs::path tasks_with_profile(const std::string& tag, const json& profile,
                            const std::string& file_name = "") {
  const fs::path dir = fs::temp_directory_path() / ("moebench-profiles-" + tag);
  fs::remove_all(dir);
  fs::create_directories(dir / "math");
  fs::create_directories(dir / "profiles");
  fs::copy_file(kTasks / "math" / "gsm8k.json", dir / "math" / "gsm8k.json");
  const std::string name =
      file_name.empty() ? profile.value("name", std::string("p")) + ".json" : file_name;
  std::ofstream(dir / "profiles" / name) << profile.dump(2);
  return dir;
}

json good_profile() {
  return {
      {"schema", 1},
      {"name", "eight"},
      {"version", "1"},
      {"description", "8-shot GSM8K"},
      {"source", "a test"},
      {"form", "completion"},
      {"suites", {{"gsm8k", {{"notes", "8 shots"}, {"set", {{"prompt", {{"num_fewshot", 8}}}}}}}}}};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("profiles: a suite under a profile has the patched spec, its key and its record",
          "[tasks][profiles]") {
  const fs::path dir = tasks_with_profile("good", good_profile());
  const SuiteSpec plain = moebench::suite_find_profiled(dir, "gsm8k");
  CHECK(plain.key() == "gsm8k");
  CHECK(plain.profile == "lm-eval");
  CHECK(plain.raw["prompt"]["num_fewshot"] == 5);

  const SuiteSpec eight = moebench::suite_find_profiled(dir, "gsm8k@eight");
  CHECK(eight.key() == "gsm8k@eight");
  CHECK(eight.name == "gsm8k");
  CHECK(eight.form == moebench::PromptForm::kCompletion);
  CHECK(eight.raw["prompt"]["num_fewshot"] == 8);
  CHECK(eight.raw["prompt"]["doc_to_text"] == plain.raw["prompt"]["doc_to_text"]);  // merged
  CHECK(eight.profile_record["name"] == "eight");
  CHECK(eight.profile_record["notes"] == "8 shots");
  CHECK(eight.profile_record["form"] == "completion");
  // --profile eight: names without @ take it.
  CHECK(moebench::suite_find_profiled(dir, "gsm8k", "eight").key() == "gsm8k@eight");
  auto all = moebench::profile_specs(dir, "eight");
  REQUIRE(all.size() == 1);
  CHECK(all[0].key() == "gsm8k@eight");
  // The default profile exists without a file, covering every suite.
  auto names = moebench::profile_list(dir);
  REQUIRE(names.size() == 2);
  CHECK(names[0].name == "eight");
  CHECK(names[1].name == "lm-eval");
  fs::remove_all(dir);
}

TEST_CASE("profiles: bad files and names fail with one line naming the file and field",
          "[tasks][profiles]") {
  struct Case {
    std::string what;
    std::function<void(json&)> edit;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"unknown top field", [](json& p) { p["colour"] = 1; }, "field 'colour': unknown field"},
      {"name differs", [](json& p) { p["name"] = "nine"; },
       "field 'name': 'nine' differs from the file name"},
      {"bad form", [](json& p) { p["form"] = "voice"; }, "field 'form'"},
      {"no suites", [](json& p) { p["suites"] = json::object(); },
       "field 'suites': names no suite"},
      {"suite without notes", [](json& p) { p["suites"]["gsm8k"].erase("notes"); },
       "field 'suites.gsm8k.notes'"},
      {"set not an object", [](json& p) { p["suites"]["gsm8k"]["set"] = 3; },
       "field 'suites.gsm8k.set': expected an object"},
      {"set changes the dataset",
       [](json& p) {
         p["suites"]["gsm8k"]["set"]["dataset"] = {{"dir", "x"}};
       },
       "field 'suites.gsm8k.set.dataset': a profile cannot change the suite's dataset"},
      {"patched spec invalid",
       [](json& p) { p["suites"]["gsm8k"]["set"]["prompt"]["num_fewshot"] = "eight"; },
       "profiles/eight.json (suites.gsm8k over " +
           (fs::temp_directory_path() / "moebench-profiles-bad/math/gsm8k.json").string() +
           "): field 'prompt.num_fewshot': expected an integer"},
      {"unknown suite",
       [](json& p) {
         p["suites"]["gsm9k"] = {{"notes", "x"}};
       },
       "field 'suites.gsm9k': no suite of that name"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    json p = good_profile();
    c.edit(p);
    const fs::path dir = tasks_with_profile("bad", p, "eight.json");
    const std::string error = error_of([&] { moebench::profile_specs(dir, "eight"); });
    CHECK(error.find(c.error) != std::string::npos);
    CHECK(error.find('\n') == std::string::npos);
    fs::remove_all(dir);
  }
  const fs::path dir = tasks_with_profile("names", good_profile());
  CHECK(error_of([&] { moebench::suite_find_profiled(dir, "gsm8k@nine"); }) ==
        "unknown profile 'nine' (known: eight, lm-eval)");
  for (const std::string bad : {"@eight", "gsm8k@", "gsm8k@eight@x"}) {
    CHECK(error_of([&] { moebench::suite_find_profiled(dir, bad); }) ==
          "suite '" + bad + "': expected SUITE or SUITE@PROFILE, e.g. gsm8k@chat");
  }
  fs::remove_all(dir);
}

TEST_CASE("profiles: a profile that does not cover a suite says which profiles do",
          "[tasks][profiles]") {
  CHECK(error_of([] { moebench::suite_find_profiled(kTasks, "agieval_gaokao@chat"); }) ==
        "profile 'chat' has no settings for suite 'agieval_gaokao' (profiles of agieval_gaokao: "
        "lm-eval)");
}

TEST_CASE("profiles: the shipped deepseek-v3-base and chat settings", "[tasks][profiles]") {
  auto shots = [](const std::string& name) {
    return moebench::suite_find_profiled(kTasks, name).raw["prompt"]["num_fewshot"].get<int>();
  };
  // DeepSeek-V3 report, Table 3.
  CHECK(shots("gsm8k@deepseek-v3-base") == 8);
  CHECK(shots("math500@deepseek-v3-base") == 4);
  CHECK(shots("humaneval@deepseek-v3-base") == 0);
  CHECK(shots("mbpp@deepseek-v3-base") == 3);
  CHECK(shots("mmlu@deepseek-v3-base") == 5);
  CHECK(shots("ceval@deepseek-v3-base") == 5);
  CHECK(shots("cmmlu@deepseek-v3-base") == 5);
  CHECK(shots("arc_challenge@deepseek-v3-base") == 25);
  for (const SuiteSpec& s : moebench::profile_specs(kTasks, "deepseek-v3-base")) {
    CHECK(s.form == moebench::PromptForm::kCompletion);
    CHECK(!s.profile_record["notes"].get<std::string>().empty());
  }
  // chat: zero-shot, simple-evals prompts and patterns.
  for (const SuiteSpec& s : moebench::profile_specs(kTasks, "chat")) {
    INFO(s.name);
    CHECK(s.form == moebench::PromptForm::kChat);
    CHECK(s.raw["prompt"]["chat"]["fewshot"] == "none");
  }
  const SuiteSpec mmlu = moebench::suite_find_profiled(kTasks, "mmlu@chat");
  CHECK(mmlu.raw["chat_fallback"]["filters"][0]["steps"][0]["fn"] == "simple_evals_mc");
  CHECK(mmlu.raw["prompt"]["chat"]["user"].get<std::string>().rfind(
            "Answer the following multiple choice question. The last line of your response "
            "should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER "
            "is one of ABCD. Think step by step before answering.",
            0) == 0);
  const SuiteSpec math = moebench::suite_find_profiled(kTasks, "math500@chat");
  CHECK(math.raw["filters"][0]["steps"][0]["fn"] == "simple_evals_answer");
}
