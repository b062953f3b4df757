// The programs' temp dirs are ones the programs can reach (reviewer 87): a TMPDIR under a dir the
// program's uid cannot enter is refused before any program runs (F0), and a relative TMPDIR is
// made absolute, so it runs under namespaces like an absolute one (F2); a TMPDIR through a symlink
// names the real directory that blocks (reviewer 90, S1).
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
using moebench::testing::moebench_bin;

namespace {

// Changes the working directory for one scope.
struct ScopedCwd {
  fs::path old = fs::current_path();
  explicit ScopedCwd(const fs::path& dir) { fs::current_path(dir); }
  ~ScopedCwd() { fs::current_path(old); }
};

// `moebench run` of the oracle's humaneval (it runs programs) under TMPDIR `tmp` (as the shell
// reads it), in and under dir, `flags` added.
moebench::testing::CommandResult humaneval_run(const fs::path& dir, const std::string& tmp,
                                               const std::string& flags) {
  return moebench::testing::run_command(
      "TMPDIR=" + tmp + " " + moebench_bin() +
          " run --backend oracle --samples --suites humaneval --no-progress --no-cache " + flags +
          " --tasks-dir " MOEBENCH_SOURCE_DIR "/tasks --results-dir '" + (dir / "res").string() +
          "'",
      dir);
}

// The sandbox's refusal of TMPDIR `tmp` ("accepted" when it takes it).
std::string refusal_of(const std::string& tmp) {
  ScopedEnv env("TMPDIR", tmp);
  try {
    Sandbox sb(short_limits());
    return "accepted: " + sb.isolation();
  } catch (const moebench::InputError& e) {
    return e.what();
  }
}

}  // namespace

TEST_CASE("a TMPDIR the programs cannot enter is refused naming the dir that blocks") {
  if (geteuid() != 0) {
    WARN("skipped: needs root (the programs run as nobody only when moebench is root)");
    return;
  }
  const fs::path dir = moebench::testing::temp_dir("sandbox-private-tmp");
  const fs::path parent = dir / "p2", inner = parent / "inner", own = dir / "own";
  fs::create_directories(inner);
  fs::create_directories(own);
  fs::permissions(parent, fs::perms::owner_all, fs::perm_options::replace);
  fs::permissions(own, fs::perms::owner_all, fs::perm_options::replace);
  for (const auto& [tmp, blocker] : {std::pair{inner, parent}, std::pair{own, own}}) {
    for (bool rlimits_only : {false, true}) {
      INFO("TMPDIR " << tmp << (rlimits_only ? ", rlimits only" : ""));
      ScopedEnv env("TMPDIR", tmp.string());
      auto o = short_limits();
      o.force_rlimits_only = o.allow_rlimits_only = rlimits_only;
      try {
        Sandbox sb(o);
        FAIL("accepted TMPDIR " << tmp << ": " << sb.isolation());
      } catch (const moebench::InputError& e) {
        const std::string what = e.what();
        CHECK(what.find("TMPDIR " + tmp.string() + ": " + blocker.string() + " is mode 0700") !=
              std::string::npos);
        CHECK(what.find("nobody") != std::string::npos);
        CHECK(what.find("namespaces") == std::string::npos);
      }
    }
  }
  auto r = humaneval_run(dir, "'" + inner.string() + "'", "--sandbox-rlimits-only");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("TMPDIR " + inner.string() + ": " + parent.string() + " is mode 0700") !=
        std::string::npos);
  fs::remove_all(dir);
}

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

TEST_CASE("a symlinked TMPDIR is refused naming the real dir that blocks") {
  if (geteuid() != 0) {
    WARN("skipped: needs root (the programs run as nobody only when moebench is root)");
    return;
  }
  const fs::path dir = fs::canonical(moebench::testing::temp_dir("sandbox-symlink-tmp"));
  const fs::path parent = dir / "p2", inner = parent / "inner", own = dir / "own";
  fs::create_directories(inner);
  fs::create_directories(own);
  fs::create_directories(dir / "pub");
  fs::permissions(parent, fs::perms::owner_all, fs::perm_options::replace);
  fs::permissions(own, fs::perms::owner_all, fs::perm_options::replace);
  fs::create_directory_symlink(inner, dir / "lnk");         // into a 0700 dir
  fs::create_directory_symlink(dir / "pub", own / "out");   // out of one
  fs::create_directory_symlink(dir / "pub", dir / "fine");  // to a dir every user can enter
  fs::create_directory_symlink("lnk", dir / "lnk2");        // a link to the first link
  ScopedCwd cwd(dir);
  const std::string tail = " is mode 0700, owner root, and the programs run as nobody";
  CHECK(refusal_of((dir / "lnk").string()) == "sandbox: TMPDIR " + (dir / "lnk").string() +
                                                  " (-> " + inner.string() +
                                                  "): " + parent.string() + tail +
                                                  ", which cannot enter it; use a TMPDIR every "
                                                  "user can traverse, such as /tmp");
  CHECK_THAT(refusal_of("lnk"),
             Catch::Contains("TMPDIR lnk (-> " + inner.string() + "): " + parent.string() + tail));
  CHECK_THAT(refusal_of("lnk2/"), Catch::Contains("TMPDIR lnk2/ (-> " + inner.string() +
                                                  "): " + parent.string() + tail));
  CHECK_THAT(refusal_of("own/out"), Catch::Contains("TMPDIR own/out (-> " + (dir / "pub").string() +
                                                    "): " + own.string() + tail));
  CHECK_THAT(refusal_of("fine"), Catch::StartsWith("accepted: "));
  {
    ScopedEnv env("TMPDIR", "fine");
    Sandbox sb(short_limits());
    auto r = sb.run_python("print('ok')\n");
    INFO(r.reason << r.stderr_text);
    CHECK(r.verdict == SandboxVerdict::kPassed);
  }
  auto r = humaneval_run(dir, "lnk", "");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output,
             Catch::Contains("TMPDIR lnk (-> " + inner.string() + "): " + parent.string() + tail));
  fs::remove_all(dir);
}
