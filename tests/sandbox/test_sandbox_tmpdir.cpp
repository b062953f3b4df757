// The programs' temp dirs are ones the programs can reach (reviewer 87): a relative TMPDIR is
// made absolute, so it runs under namespaces like an absolute one (F2).
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/error.h"
#include "harness/scoring/sandbox.h"
#include "sandbox_test_util.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

namespace fs = std::filesystem;
using moebench::Sandbox;
using moebench::SandboxVerdict;
using moebench::test::ScopedEnv;
using moebench::test::short_limits;

namespace {

// Changes the working directory for one scope.
struct ScopedCwd {
  fs::path old = fs::current_path();
  explicit ScopedCwd(const fs::path& dir) { fs::current_path(dir); }
  ~ScopedCwd() { fs::current_path(old); }
};

}  // namespace

TEST_CASE("a relative TMPDIR runs under namespaces like an absolute one") {
  const fs::path dir = moebench::testing::temp_dir("sandbox-relative-tmp");
  fs::create_directories(dir / "reltmp");
  ScopedCwd cwd(dir);
  ScopedEnv env("TMPDIR", "reltmp");
  {
    Sandbox sb(short_limits());
    INFO(sb.isolation());
    CHECK(sb.isolation().rfind("namespaces (user, net, mount, pid", 0) == 0);
    auto r = sb.run_python("print('ok')\n");
    INFO(r.reason << r.stderr_text);
    CHECK(r.verdict == SandboxVerdict::kPassed);
  }
  auto o = short_limits();
  o.force_rlimits_only = o.allow_rlimits_only = true;
  Sandbox sb(o);
  auto r = sb.run_python(
      "import os, tempfile\nprint(os.environ.get('TMPDIR') == os.getcwd() == "
      "tempfile.gettempdir())\nprint(os.environ.get('TMPDIR'))\n");
  INFO(r.reason << r.stderr_text);
  CHECK(r.stdout_text.rfind("True\n" + (dir / "reltmp").string() + "/moebench-sandbox-", 0) == 0);
  fs::remove_all(dir);
}
