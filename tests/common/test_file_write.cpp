// write_file_atomic: two commands writing the same file at once (two reports of one site, two
// loadgen --json to one path) each write a temporary file of their own, so neither can write
// into the file the other renamed into place.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/file_write.h"
#include "tests/catch.h"

namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

// With one fixed "<path>.tmp", writer B truncated and renamed the file writer A was still
// writing, and A's next write landed in B's finished file.
TEST_CASE("write_file_atomic: a concurrent writer cannot write into the finished file",
          "[common][file-write]") {
  const fs::path dir =
      fs::temp_directory_path() / ("moebench-file-write-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path page = dir / "index.html";
  // Writer A, part-way through: its temporary file open under the name a fixed scheme would use.
  const fs::path a_tmp = page.string() + ".tmp";
  const int a = ::open(a_tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(a >= 0);
  REQUIRE(::write(a, "<p>A, first half", 16) == 16);
  moebench::write_file_atomic(page, "<p>B whole</p>\n");  // writer B
  REQUIRE(::write(a, " and the rest</p>\n", 18) == 18);
  ::close(a);
  CHECK(read_all(page) == "<p>B whole</p>\n");
  // B left no temporary file of its own; A's is A's to rename or remove.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file() ? 1 : 0;
  CHECK(files == 2);
  fs::remove_all(dir);
}
