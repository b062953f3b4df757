// A page of the site is written whole or not at all: to a temporary file renamed over the page,
// so a report stopped by Ctrl-C (exit 130 at once) or a full disk leaves no half-written page.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "reports/site_html.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
namespace fs = std::filesystem;

namespace {

std::string read_fd(int fd) {
  std::string out(256, '\0');
  const ssize_t n = ::pread(fd, out.data(), out.size(), 0);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

// Files named "*.tmp*" in dir: write_file_atomic's temporary files, left behind.
size_t temp_files(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    n += e.path().filename().string().find(".tmp") != std::string::npos ? 1 : 0;
  }
  return n;
}

}  // namespace

TEST_CASE("report site: a page is replaced whole by a rename and never truncated in place",
          "[reports][site]") {
  const fs::path dir = testing::temp_dir("site-write");
  fs::remove_all(dir);
  const fs::path page = dir / "runs" / "index.html";
  site_write_file(page, "<p>old</p>\n");
  // A reader that opened the old page keeps reading it whole: the new page is another file.
  const int fd = ::open(page.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  site_write_file(page, "<p>new page</p>\n");
  CHECK(read_fd(fd) == "<p>old</p>\n");
  ::close(fd);
  std::ifstream in(page);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "<p>new page</p>\n");
  CHECK(temp_files(page.parent_path()) == 0);
  // A page the system will not write: EnvironmentError naming it, no temporary file left.
  fs::create_directories(dir / "blocked.html");
  fs::create_directories(dir / "blocked.html" / "x");  // a non-empty dir: rename cannot replace it
  try {
    site_write_file(dir / "blocked.html", "x");
    FAIL("no error");
  } catch (const EnvironmentError& e) {
    CHECK(std::string(e.what()).find((dir / "blocked.html").string() + ": cannot write: ") == 0);
  }
  CHECK(temp_files(dir) == 0);
  fs::remove_all(dir);
}
