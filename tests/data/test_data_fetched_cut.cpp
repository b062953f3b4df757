// A one-file dataset (MATH-500, MBPP) fetched alone into an empty data dir and then cut at a line
// end held none of the table's files at their sizes and no other fetched dataset, so `run` read
// it as the user's own copy, unchecked. `data fetch` now records what it put in place, and a
// dataset dir holding that record is checked against it; a copy never fetched is still yours.
#include <fstream>
#include <string>
#include <vector>

#include "tests/catch.h"
#include "tests/data/mirror/mirror_server.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

const fs::path kDatasets = fs::path(MOEBENCH_SOURCE_DIR "/../shared/datasets");
const fs::path kTable = fs::path(MOEBENCH_SOURCE_DIR "/tasks/datasets.json");

// Keeps the first `n` lines of a text file, as `head -n N` does.
void keep_first_lines(const fs::path& file, size_t n) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; lines.size() < n && std::getline(in, line);) lines.push_back(line);
  in.close();
  std::ofstream out(file, std::ios::trunc);
  for (const std::string& line : lines) out << line << "\n";
}

CommandResult run_suite(const fs::path& dir, const fs::path& data, const std::string& suite) {
  return run_command(moebench_bin() + " run --backend oracle --suites " + suite +
                         " --limit 1 --no-progress --data-dir '" + data.string() +
                         "' --results-dir '" + (dir / "results").string() + "'",
                     dir);
}

struct OneFile {
  std::string dataset, file;
  long records;
};

}  // namespace

TEST_CASE("a one-file dataset fetched alone and then cut is refused by run and data status",
          "[data]") {
  const fs::path dir = temp_dir("fetched-cut");
  MirrorServer mirror(dataset_table_read(kTable), kDatasets, dir / "mirror");
  for (const OneFile& one :
       {OneFile{"math500", "test.jsonl", 500}, OneFile{"mbpp", "mbpp.jsonl", 974}}) {
    INFO(one.dataset);
    const fs::path data = dir / ("data-" + one.dataset);
    CommandResult r =
        run_command(moebench_bin() + " data fetch " + one.dataset + " --mirror " +
                        mirror.base_url() + " --data-dir '" + data.string() + "' --no-progress",
                    dir);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    keep_first_lines(data / one.dataset / one.file, 100);
    const std::string line = (data / one.dataset / one.file).string() +
                             " is cut or changed since data fetch wrote it: 100 records (";
    const std::string fetched = "data fetch wrote " + std::to_string(one.records) + " records (";

    r = run_suite(dir, data, one.dataset);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("moebench: error: " + one.dataset + ": " + line) != std::string::npos);
    CHECK(r.output.find(fetched) != std::string::npos);
    CHECK(r.output.find("fetch it again with: moebench data fetch " + one.dataset) !=
          std::string::npos);

    r = run_command(moebench_bin() + " data status --verify " + one.dataset + " --data-dir '" +
                        data.string() + "'",
                    dir);
    INFO(r.output);
    CHECK(r.exit_code == 5);
    CHECK(r.output.find("moebench: " + one.dataset + ": " + line) != std::string::npos);
    CHECK(r.output.find(fetched) != std::string::npos);
  }

  // The user's own copy (here the bundled samples), never fetched, in an empty data dir of its
  // own is read as it is.
  const fs::path own = dir / "own";
  fs::create_directories(own);
  fs::copy(fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples/math500", own / "math500",
           fs::copy_options::recursive);
  const CommandResult r = run_suite(dir, own, "math500");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  fs::remove_all(dir);
}
