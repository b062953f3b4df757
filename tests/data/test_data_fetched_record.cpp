// The record `data fetch` leaves in a dataset dir, and the check of the dir against it, on small
// fixture files: by size and records, with --verify by SHA-256 too; a dir never fetched holds no
// record and is not checked.
#include <fstream>
#include <string>

#include "common/hash.h"
#include "tasks/dataset_table.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

DataDownload plain(const fs::path& file) {
  return {"https://example.org/" + file.filename().string(),
          "",
          {{file.filename().string(), sha256_file_hex(file), fs::file_size(file), ""}}};
}

}  // namespace

TEST_CASE("a dataset dir is checked against the record data fetch left in it", "[data]") {
  const fs::path dir = temp_dir("fetched-record");
  const fs::path toy = dir / "toy", jsonl = toy / "test.jsonl", csv = toy / "table.csv";
  fs::create_directories(toy);
  const std::string records = "{\"q\":1}\n{\"q\":2}\n\n{\"q\":3}\n";
  std::ofstream(jsonl) << records;
  std::ofstream(csv) << "a,b\n1,2\n";
  DatasetSource d;
  d.name = "toy";
  d.downloads = {plain(jsonl), plain(csv)};
  const std::string jsonl_sha = sha256_file_hex(jsonl), csv_sha = sha256_file_hex(csv);

  CHECK(dataset_fetched_changes(toy, true).empty());  // never fetched: the user's own copy
  dataset_write_fetched(d, toy);
  CHECK(dataset_fetched_changes(toy, true).empty());

  std::ofstream(jsonl, std::ios::trunc) << "{\"q\":1}\n";  // cut at a line end
  auto changed = dataset_fetched_changes(toy, false);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0] == jsonl.string() +
                          " is cut or changed since data fetch wrote it: 1 record (8 bytes); "
                          "data fetch wrote 3 records (25 bytes, SHA-256 " +
                          jsonl_sha + ")");

  // Changed in place at the same size: only the SHA-256 tells, and only when asked (--verify).
  std::ofstream(jsonl, std::ios::trunc) << records;
  std::ofstream(csv, std::ios::trunc) << "a,b\n1,3\n";
  CHECK(dataset_fetched_changes(toy, false).empty());
  changed = dataset_fetched_changes(toy, true);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0] == csv.string() + " is cut or changed since data fetch wrote it: 8 bytes " +
                          "(SHA-256 " + sha256_file_hex(csv) + "); data fetch wrote 8 bytes " +
                          "(SHA-256 " + csv_sha + ")");

  fs::remove(csv);  // a missing file is dataset_presence's to name
  CHECK(dataset_fetched_changes(toy, true).empty());

  std::ofstream(toy / kDatasetFetchedRecord, std::ios::trunc)
      << R"({"files":{"test.jsonl":{"bytes":-1,"sha256":"x"}}})";
  // A damaged record is a change of its own (run names it and the fetch command), not an error
  // that stops data status mid-table.
  changed = dataset_fetched_changes(toy, true);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0] == (toy / kDatasetFetchedRecord).string() +
                          ": field 'files.test.jsonl.bytes' must be a count; the record data "
                          "fetch left cannot be read");
  fs::remove_all(dir);
}
