// The sandbox cleans up after itself: an unusable TMPDIR is named as such (reviewer 84, F4).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/error.h"
#include "harness/scoring/sandbox.h"
#include "sandbox_test_util.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

namespace fs = std::filesystem;
using moebench::Sandbox;
using moebench::test::short_limits;
using moebench::testing::moebench_bin;

namespace {

// Sets an environment variable for one scope.
struct ScopedEnv {
  std::string name, old;
  bool had;
  ScopedEnv(const std::string& n, const std::string& value) : name(n) {
    const char* v = std::getenv(n.c_str());
    had = v != nullptr;
    if (had) old = v;
    setenv(n.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had) {
      setenv(name.c_str(), old.c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
};

}  // namespace

TEST_CASE("an unusable TMPDIR is named with its path and the OS error") {
  const fs::path dir = moebench::testing::temp_dir("sandbox-tmpdir");
  const fs::path file = dir / "a-file";
  std::ofstream(file) << "x";
  for (const fs::path& bad : {dir / "missing", file}) {
    ScopedEnv env("TMPDIR", bad.string());
    try {
      Sandbox sb(short_limits());
      FAIL("accepted TMPDIR " << bad);
    } catch (const moebench::InputError& e) {
      const std::string what = e.what();
      CHECK(what.find("TMPDIR " + bad.string()) != std::string::npos);
      CHECK(what.find(bad == file ? "Not a directory" : "No such file or directory") !=
            std::string::npos);
      CHECK(what.find("namespaces") == std::string::npos);
    }
  }
  auto r = moebench::testing::run_command(
      "TMPDIR='" + (dir / "missing").string() + "' " + moebench_bin() +
          " run --backend oracle --samples --suites humaneval --no-progress --tasks-dir " +
          MOEBENCH_SOURCE_DIR "/tasks --results-dir '" + (dir / "res").string() + "'",
      dir);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("TMPDIR " + (dir / "missing").string()) != std::string::npos);
  fs::remove_all(dir);
}
