// The sandbox cleans up after itself: an interrupted moebench leaves no program running and no
// temp dir behind (reviewer 84, F1), an unusable TMPDIR is named as such (F4), and rlimits-only
// programs get a private TMPDIR and lose their detached descendants with the sample (F2).
#include <signal.h>
#include <sys/wait.h>
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
using moebench::SandboxVerdict;
using moebench::test::read_text;
using moebench::test::ScopedEnv;
using moebench::test::short_limits;
using moebench::testing::copy_dataset;
using moebench::testing::moebench_bin;
using moebench::testing::wait_until;

namespace {

// Live processes whose command line is exactly `sleep <seconds>`; zombies do not count.
std::vector<int> sleepers(const std::string& seconds) {
  std::vector<int> found;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (read_text(e.path() / "cmdline") != "sleep" + std::string(1, '\0') + seconds + '\0') {
      continue;
    }
    const std::string stat = read_text(e.path() / "stat");
    if (stat.size() > stat.rfind(')') + 2 && stat[stat.rfind(')') + 2] != 'Z') {
      found.push_back(std::stoi(name));
    }
  }
  return found;
}

void kill_all(const std::vector<int>& pids) {
  for (int pid : pids) ::kill(pid, SIGKILL);
}

// A per-test sleep duration no other process on the host uses: "9<pid>.5" seconds.
std::string unique_seconds(int salt) {
  return std::to_string(9 + salt) + std::to_string(getpid()) + ".5";
}

// Entries left in `dir`, as one line for a failed check.
std::string entries(const fs::path& dir) {
  std::string out;
  for (const auto& e : fs::directory_iterator(dir)) out += e.path().filename().string() + " ";
  return out;
}

// Two HumanEval answers that start `sleep <seconds>` and then wait far past their 3 s limit.
fs::path write_sleeper_answers(const fs::path& dir, const std::string& seconds) {
  const fs::path file = dir / "sleepers.jsonl";
  std::ofstream f(file);
  for (int i : {0, 1}) {
    f << R"({"id":"HumanEval/)" << i
      << R"(","response":"    import subprocess, time\n    subprocess.Popen([\"sleep\",\")"
      << seconds << R"(\"])\n    time.sleep(100)\n"})" << '\n';
  }
  return file;
}

}  // namespace

TEST_CASE("an interrupted moebench leaves no sandboxed program and no temp dir behind") {
  const fs::path dir = moebench::testing::temp_dir("sandbox-interrupt");
  const fs::path tmp = dir / "tmp";
  fs::create_directories(tmp);
  const fs::path data = copy_dataset(dir, "humaneval");
  const std::string seconds = unique_seconds(0);
  const fs::path answers = write_sleeper_answers(dir, seconds);
  for (int sig : {SIGINT, SIGTERM}) {
    INFO("signal " << sig);
    pid_t pid = moebench::testing::spawn(
        {"/usr/bin/env", "TMPDIR=" + tmp.string(), moebench_bin(), "rescore", answers.string(),
         "--suites", "humaneval", "--data-dir", data.string(), "--tasks-dir",
         MOEBENCH_SOURCE_DIR "/tasks", "--results-dir", (dir / "res").string(), "--no-progress"},
        dir / "out.txt");
    REQUIRE(wait_until([&] { return !sleepers(seconds).empty(); }, 120));
    ::kill(pid, sig);
    CHECK(moebench::testing::wait_exit(pid) == 130);
    const bool gone = wait_until([&] { return sleepers(seconds).empty(); }, 30);
    CHECK(gone);
    kill_all(sleepers(seconds));
    CHECK(entries(tmp) == "");
  }
  fs::remove_all(dir);
}

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

TEST_CASE("rlimits-only: each program gets its own TMPDIR") {
  auto o = short_limits();
  o.force_rlimits_only = o.allow_rlimits_only = true;
  Sandbox sb(o);
  const std::string probe =
      "import os, tempfile\nprint(os.environ.get('TMPDIR') == os.getcwd() == "
      "tempfile.gettempdir())\nprint(os.getcwd())\n";
  auto a = sb.run_python(probe);
  auto b = sb.run_python(probe);
  INFO(a.stdout_text << a.stderr_text << b.stdout_text);
  CHECK(a.stdout_text.rfind("True\n", 0) == 0);
  CHECK(a.stdout_text != b.stdout_text);
}

TEST_CASE("rlimits-only: a program's detached descendants are killed with it") {
  auto o = short_limits();
  o.force_rlimits_only = o.allow_rlimits_only = true;
  o.use_cgroups = false;  // a cgroup leaf kills the whole tree by itself (cgroup.kill)
  Sandbox sb(o);
  const std::string seconds = unique_seconds(1);
  // A double fork with setsid() leaves the program's session and process group; the program
  // ends once the grandchild runs `sleep`.
  auto r = sb.run_python(
      "import os, time\nr, w = os.pipe()\nif os.fork() == 0:\n    os.setsid()\n"
      "    pid = os.fork()\n    if pid == 0:\n        os.closerange(0, 64)\n"
      "        os.execvp('sleep', ['sleep', '" +
      seconds +
      "'])\n    os.write(w, str(pid).encode())\n    os._exit(0)\nos.close(w)\n"
      "pid = int(os.read(r, 32))\nos.wait()\n"
      "while not open('/proc/%d/cmdline' % pid, 'rb').read().startswith(b'sleep'):\n"
      "    time.sleep(0.01)\nprint('main done')\n");
  INFO(r.reason << r.stderr_text);
  CHECK(r.verdict == SandboxVerdict::kPassed);
  const bool gone = wait_until([&] { return sleepers(seconds).empty(); }, 30);
  CHECK(gone);
  kill_all(sleepers(seconds));
}
