// `data fetch` repairing a dataset dir in place (reviewer 91, F3-F5): the files of yours it does
// not list are carried into the new tree, a stray copy its split globs would read is removed and
// named, and a damaged record of an earlier fetch is re-verified and rewritten. `data status`
// names each of these states, and `run`'s error ends with the fetch command that repairs it.
#include <fstream>
#include <regex>
#include <string>

#include "tests/catch.h"
#include "tests/data/mirror/mirror_server.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

const fs::path kDatasets = fs::path(MOEBENCH_SOURCE_DIR "/../shared/datasets");
const fs::path kTable = fs::path(MOEBENCH_SOURCE_DIR "/tasks/datasets.json");

std::string fetch_cmd(const MirrorServer& m, const fs::path& data, const std::string& names) {
  return moebench_bin() + " data fetch " + names + " --mirror " + m.base_url() + " --data-dir '" +
         data.string() + "' --no-progress";
}

std::string status_cmd(const fs::path& data, const std::string& names = "") {
  return moebench_bin() + " data status " + names + " --data-dir '" + data.string() + "'";
}

CommandResult run_suite(const fs::path& dir, const fs::path& data, const std::string& suite) {
  return run_command(moebench_bin() + " run --backend oracle --suites " + suite +
                         " --limit 1 --no-progress --data-dir '" + data.string() +
                         "' --results-dir '" + (dir / "results").string() + "'",
                     dir);
}

// A writable copy of the development copy's dataset `name` in data/.
void copy_dataset(const std::string& name, const fs::path& data) {
  fs::create_directories(data);
  fs::copy(kDatasets / name, data / name, fs::copy_options::recursive);
  for (const auto& e : fs::recursive_directory_iterator(data / name)) {
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

long requests_for(const MirrorServer& m, const std::string& part) {
  long n = 0;
  for (const auto& r : m.requests()) n += r.path.find(part) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("data fetch repairing a dataset dir keeps the files it does not list", "[data]") {
  const fs::path dir = temp_dir("fetch-keeps");
  const DatasetTable table = dataset_table_read(kTable);
  MirrorServer mirror(table, kDatasets, dir / "mirror");
  const fs::path data = dir / "data", gsm = data / "gsm8k";
  copy_dataset("gsm8k", data);
  std::ofstream(gsm / "NOTES.txt") << "my notes\n";
  fs::create_directories(gsm / "my_translations");
  std::ofstream(gsm / "my_translations" / "test_de.jsonl") << "{}\n";
  fs::remove(gsm / "test.jsonl");

  auto r = run_command(fetch_cmd(mirror, data, "gsm8k"), dir);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(read(gsm / "NOTES.txt") == "my notes\n");
  CHECK(read(gsm / "my_translations" / "test_de.jsonl") == "{}\n");
  CHECK(r.output.find("  kept 3 files it does not list: NOTES.txt, SOURCE.md, "
                      "my_translations/test_de.jsonl\n") != std::string::npos);
  CHECK(dataset_verify(table.find("gsm8k"), data).empty());
  CHECK(requests_for(mirror, "train.jsonl") == 0);  // the good file was kept, not fetched

  // --force replaces every listed file and still keeps yours.
  r = run_command(fetch_cmd(mirror, data, "gsm8k --force"), dir);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(read(gsm / "NOTES.txt") == "my notes\n");
  CHECK(fs::exists(gsm / "my_translations" / "test_de.jsonl"));
  CHECK(run_suite(dir, data, "gsm8k").exit_code == 0);  // run reads none of them
  fs::remove_all(dir);
}

TEST_CASE("a stray copy that a split glob reads is named by data status and removed by data fetch",
          "[data]") {
  const fs::path dir = temp_dir("fetch-stray");
  const DatasetTable table = dataset_table_read(kTable);
  MirrorServer mirror(table, kDatasets, dir / "mirror");
  const fs::path data = dir / "data", obj = data / "gaokao" / "Objective_Questions";
  copy_dataset("gaokao", data);
  const std::string stray = "Objective_Questions/2010-2022_Physics_MCQs (1).json";
  fs::copy_file(obj / "2010-2022_Physics_MCQs.json", data / "gaokao" / stray);
  std::ofstream(data / "gaokao" / "NOTES.txt") << "mine\n";

  auto status = run_command(status_cmd(data, "gaokao"), dir);
  INFO(status.output);
  CHECK(status.exit_code == 5);
  CHECK(std::regex_search(status.output,
                          std::regex("\ngaokao +gaokao +stray file +14/14  \\(first: " +
                                     std::regex_replace(stray, std::regex("[()]"), "\\$&") +
                                     " is not a file of the dataset\\)")));
  CHECK(status.output.find("moebench: gaokao: " + (data / "gaokao" / stray).string() +
                           " is not a file of the dataset (a stray copy?) that its split "
                           "globs read; data fetch removes it") != std::string::npos);

  auto run = run_suite(dir, data, "gaokao");
  CHECK(run.exit_code == 2);
  CHECK(run.output.find("moebench data fetch gaokao --data-dir") != std::string::npos);

  // The command run printed repairs it: no download, the stray removed and named, yours kept.
  auto r = run_command(fetch_cmd(mirror, data, "gaokao"), dir);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(std::regex_search("\n" + r.output, std::regex("\ngaokao +fetched +14 files")));
  CHECK(r.output.find("  removed 1 stray file its split globs read: " + stray) !=
        std::string::npos);
  CHECK(r.output.find("  kept 2 files it does not list: NOTES.txt, SOURCE.md\n") !=
        std::string::npos);
  CHECK(!fs::exists(data / "gaokao" / stray));
  CHECK(read(data / "gaokao" / "NOTES.txt") == "mine\n");
  CHECK(mirror.requests().empty());
  CHECK(run_suite(dir, data, "gaokao").exit_code == 0);
  CHECK(run_command(status_cmd(data, "gaokao"), dir).exit_code == 0);
  fs::remove_all(dir);
}

TEST_CASE(
    "a damaged record of data fetch is a data status row and a run error with the fetch command "
    "and data fetch rewrites it",
    "[data]") {
  const fs::path dir = temp_dir("fetch-bad-record");
  const DatasetTable table = dataset_table_read(kTable);
  MirrorServer mirror(table, kDatasets, dir / "mirror");
  const fs::path data = dir / "data", record = data / "arc" / kDatasetFetchedRecord;
  REQUIRE(run_command(fetch_cmd(mirror, data, "math500 arc"), dir).exit_code == 0);
  const size_t fetched_requests = mirror.requests().size();

  for (const std::string& damage :
       {std::string(), std::string(R"({"files":{"ARC-Challenge-Test.jsonl":{"bytes":"1"}}})")}) {
    std::ofstream(record, std::ios::trunc) << damage;
    auto run = run_suite(dir, data, "arc_challenge");
    INFO(run.output);
    CHECK(run.exit_code == 2);
    CHECK(run.output.rfind("moebench: error: arc: " + record.string() + ": ", 0) == 0);
    CHECK(run.output.find("; fetch it again with: moebench data fetch arc_challenge --data-dir '" +
                          data.string() + "'\n") != std::string::npos);

    auto status = run_command(status_cmd(data), dir);
    INFO(status.output);
    CHECK(status.exit_code == 5);
    CHECK(std::regex_search(status.output, std::regex("\narc +arc_challenge +bad record +2/2")));
    CHECK(std::regex_search(status.output, std::regex("\nmath500 +math500 +present +1/1")));
    CHECK(std::regex_search(status.output, std::regex("\nmmlu +mmlu +missing")));  // after arc

    auto r = run_command(fetch_cmd(mirror, data, "arc"), dir);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(std::regex_search("\n" + r.output, std::regex("\narc +fetched +2 files")));
    CHECK(mirror.requests().size() == fetched_requests);  // re-verified, not downloaded
    CHECK(dataset_fetched_changes(data / "arc", true).empty());
    CHECK(read(record).find("\"written_by\"") != std::string::npos);
    CHECK(run_suite(dir, data, "arc_challenge").exit_code == 0);
  }
  fs::remove_all(dir);
}
