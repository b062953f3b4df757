// write_file_atomic: two commands writing the same file at once (two reports of one site, two
// loadgen --json to one path) each write a temporary file of their own, so neither can write
// into the file the other renamed into place; the temporary files a killed writer left behind go
// with the next write of the same file.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/file_write.h"
#include "tests/catch.h"

namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A fresh empty directory of this test process's own.
fs::path fresh_dir(const std::string& tag) {
  const fs::path dir =
      fs::temp_directory_path() / ("moebench-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// The id of a process that has ended (a child, waited for).
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return pid;
}

void touch(const fs::path& p) { std::ofstream(p) << "half"; }

std::string this_host() {
  char buf[256] = {};
  REQUIRE(::gethostname(buf, sizeof buf - 1) == 0);
  return buf;
}

}  // namespace

// With one fixed "<path>.tmp", writer B truncated and renamed the file writer A was still
// writing, and A's next write landed in B's finished file.
TEST_CASE("write_file_atomic: a concurrent writer cannot write into the finished file",
          "[common][file-write]") {
  const fs::path dir = fresh_dir("file-write");
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

// Reviewer 90's leftover: a writer killed between its open and its rename (SIGKILL, a crash, the
// OOM killer) left "<path>.tmp.<host>.<pid>.<n>" for good; every such kill added one more. Only
// this host's are looked at: another node writing the same shared directory has pids of its own.
TEST_CASE("write_file_atomic: removes the temporary files of dead writers of the same file",
          "[common][file-write]") {
  const fs::path dir = fresh_dir("file-write-stale");
  const fs::path run = dir / "run.json";
  const std::string dead = std::to_string(dead_pid()), self = std::to_string(::getpid());
  const std::string host = this_host();
  const std::vector<std::string> gone = {"run.json.tmp." + host + "." + dead + ".0",
                                         "run.json.tmp." + host + "." + dead + ".17"};
  const std::vector<std::string> kept = {
      "run.json.tmp." + host + "." + self +
          ".99",                        // a live writer's (this process: another thread's)
      "run.json.tmp." + host + ".1.0",  // a live writer's (init)
      "run.json.tmp.x" + host + "." + dead + ".0",  // another host's: its pid is not ours to ask
      "run.json.tmp.node7." + dead + ".0",
      "other.json.tmp." + host + "." + dead + ".0",  // another file's
      "run.json.tmp." + host + "." + dead,           // not a name the writer makes
      "run.json.tmp." + host + "." + dead + ".0x",
      "run.json.tmp." + host + ".x" + dead + ".0",
      "xrun.json.tmp." + host + "." + dead + ".0",
  };
  for (const auto& name : gone) touch(dir / name);
  for (const auto& name : kept) touch(dir / name);
  moebench::write_file_atomic(run, "{}\n");
  CHECK(read_all(run) == "{}\n");
  for (const auto& name : gone) {
    INFO(name);
    CHECK_FALSE(fs::exists(dir / name));
  }
  for (const auto& name : kept) {
    INFO(name);
    CHECK(fs::exists(dir / name));
  }
  fs::remove_all(dir);
}
