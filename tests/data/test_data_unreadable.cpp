// A data file that is there but cannot be read (reviewer 72, finding 8): run said "file not
// found (fetch it with ...)", data status counted it present, and status --verify and fetch died
// with "internal error", exit 1. A directory stands in for the file (EISDIR): tests run as root,
// where mode 000 does not stop a read.
#include <string>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;

TEST_CASE("an unreadable data file is named with its error by run and data status", "[data]") {
  const fs::path dir = temp_dir("data-unreadable");
  const fs::path data = copy_dataset(dir, "gsm8k");
  const fs::path file = data / "gsm8k" / "test.jsonl";
  fs::remove(file);
  fs::create_directories(file);
  const std::string data_dir = " --data-dir '" + data.string() + "'";

  CommandResult r =
      run_command(moebench_bin() + " run --backend oracle --suites gsm8k --limit 1 --no-progress" +
                      data_dir + " --results-dir '" + (dir / "results").string() + "'",
                  dir);
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output == "moebench: error: " + file.string() + ": cannot read: Is a directory\n");

  for (const char* verify : {"", " --verify"}) {
    r = run_command(moebench_bin() + " data status gsm8k" + verify + data_dir, dir);
    INFO(r.output);
    CHECK(r.exit_code == 5);
    CHECK(r.output.find("unreadable 1/2  (first: test.jsonl cannot be read (Is a directory))") !=
          std::string::npos);
    CHECK(r.output.find("internal error") == std::string::npos);
  }
  fs::remove_all(dir);
}
