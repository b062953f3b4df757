// Sandbox verdicts for ordinary programs, the worker pool, the scrubbed environment and the
// rlimits-only fallback.
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.h"
#include "harness/scoring/sandbox.h"
#include "sandbox_test_util.h"
#include "tests/catch.h"

using moebench::Sandbox;
using moebench::SandboxVerdict;
using moebench::test::short_limits;

TEST_CASE("sandbox probes namespaces or refuses loudly") {
  try {
    Sandbox sb(short_limits());
    INFO(sb.isolation());
    CHECK(sb.isolation().rfind("namespaces (user, net, mount, pid", 0) == 0);
  } catch (const moebench::InputError& e) {
    // Kernels without user namespaces: the message must name the opt-in flag.
    CHECK(std::string(e.what()).find("--sandbox-rlimits-only") != std::string::npos);
  }
}

TEST_CASE("sandbox passes a correct program") {
  Sandbox sb(short_limits());
  auto r = sb.run_python("def add(a, b):\n    return a + b\nassert add(1, 2) == 3\nprint('ok')\n");
  INFO(r.reason << " | " << r.stderr_text);
  CHECK(r.verdict == SandboxVerdict::kPassed);
  CHECK(r.exit_code <= 0);  // 0, or -1: killed at the completion marker before it exited
  CHECK(r.stdout_text == "ok\n");
  CHECK(std::string(moebench::sandbox_verdict_name(r.verdict)) == "passed");
}

TEST_CASE("sandbox reports a failing assert as AssertionError") {
  Sandbox sb(short_limits());
  auto r = sb.run_python("def f():\n    return 1\nassert f() == 2\n");
  CHECK(r.verdict == SandboxVerdict::kFailed);
  CHECK(r.reason == "AssertionError");
  CHECK(r.exit_code == 1);
}

TEST_CASE("sandbox reports a syntax error and a NameError") {
  Sandbox sb(short_limits());
  auto r = sb.run_python("def f(:\n    pass\n");
  INFO(r.reason);
  CHECK(r.verdict == SandboxVerdict::kFailed);
  CHECK(r.reason.rfind("SyntaxError", 0) == 0);
  auto n = sb.run_python("print(x)\n");
  CHECK(n.verdict == SandboxVerdict::kFailed);
  CHECK(n.reason == "NameError: name 'x' is not defined");
}

TEST_CASE("sandbox batch of 8 keeps input order") {
  Sandbox sb(short_limits(2));
  std::vector<std::string> programs;
  for (int i = 0; i < 8; ++i) {
    programs.push_back("import time\ntime.sleep(" + std::to_string((7 - i) * 0.02) + ")\nprint(" +
                       std::to_string(i) + ")\n" + (i % 3 == 2 ? "assert False\n" : ""));
  }
  auto rs = sb.run_python_batch(programs);
  REQUIRE(rs.size() == 8);
  for (int i = 0; i < 8; ++i) {
    INFO(i << ": " << rs[i].reason);
    CHECK(rs[i].stdout_text == std::to_string(i) + "\n");
    CHECK(rs[i].verdict == (i % 3 == 2 ? SandboxVerdict::kFailed : SandboxVerdict::kPassed));
  }
}

TEST_CASE("sandbox scrubs the environment and runs in a private cwd") {
  setenv("MOEBENCH_SECRET_TOKEN", "hunter2", 1);
  Sandbox sb(short_limits());
  auto r = sb.run_python(
      "import os, sys\nfor k in sorted(os.environ): print(k + '=' + os.environ[k])\n"
      "print('CWD=' + os.getcwd())\nprint('FILES=' + ','.join(sorted(os.listdir('.'))))\n"
      "print('STDIN=' + repr(sys.stdin.read()))\n");
  INFO(r.stdout_text << r.stderr_text);
  REQUIRE(r.verdict == SandboxVerdict::kPassed);
  const std::string& out = r.stdout_text;
  CHECK(out.find("MOEBENCH_") == std::string::npos);
  CHECK(out.find("hunter2") == std::string::npos);
  CHECK(out.find("PATH=/usr/bin:/bin\n") != std::string::npos);
  CHECK(out.find("LANG=C.UTF-8\n") != std::string::npos);
  CHECK(out.find("PYTHONDONTWRITEBYTECODE=1\n") != std::string::npos);
  CHECK(out.find("FILES=program.py\n") != std::string::npos);
  CHECK(out.find("STDIN=''\n") != std::string::npos);
  // HOME is the program's own temp dir (its cwd), never the host's.
  auto home = out.substr(out.find("HOME=") + 5);
  home = home.substr(0, home.find('\n'));
  CHECK(out.find("CWD=" + home + "\n") != std::string::npos);
  const char* host_home = getenv("HOME");
  if (host_home) CHECK(home != host_home);
  int lines = 0;  // exactly four variables
  for (size_t p = 0; p < out.find("CWD="); p = out.find('\n', p) + 1) ++lines;
  CHECK(lines == 4);
}

TEST_CASE("sandbox runs under rlimits only when opted in") {
  auto o = short_limits();
  o.force_rlimits_only = true;
  CHECK_THROWS_AS(Sandbox(o), moebench::InputError);
  o.allow_rlimits_only = true;
  Sandbox sb(o);
  CHECK(sb.isolation().rfind("rlimits only", 0) == 0);
  CHECK(sb.run_python("print(1)\n").verdict == SandboxVerdict::kPassed);
  CHECK(sb.run_python("assert 0\n").reason == "AssertionError");
  auto t = sb.run_python("import os\nos.fork()\nwhile True: pass\n");
  CHECK(t.verdict == SandboxVerdict::kTimeout);
  CHECK(moebench::test::count_descendants() == 0);
  auto w = sb.run_python("open('/etc/moebench_rlimits_escape', 'w')\n");
  CHECK(w.verdict == SandboxVerdict::kFailed);
  CHECK(w.reason.find("PermissionError") != std::string::npos);
}

// RLIMIT_NPROC and pids.max count threads: ThreadPoolExecutor() starts min(32, cores + 4)
// workers, so a 32-thread pool must fit whatever the host's core count (reviewer 70, finding 4:
// 31 extra threads failed with "can't start new thread").
TEST_CASE("sandbox runs ThreadPoolExecutor's largest default pool") {
  moebench::SandboxOptions o = short_limits();
  o.limits.memory_bytes = 4L << 30;  // the default: each thread maps an 8 MiB stack
  Sandbox sb(o);
  auto r = sb.run_python(
      "import concurrent.futures as cf, threading\n"
      "with cf.ThreadPoolExecutor(32) as ex:\n"
      "    assert list(ex.map(lambda x: x * x, range(1000)))[-1] == 998001\n"
      "ev = threading.Event()\n"
      "ts = [threading.Thread(target=ev.wait, daemon=True) for _ in range(40)]\n"
      "for t in ts: t.start()\n"
      "ev.set()\n");
  INFO(r.reason << " | " << r.stderr_text);
  CHECK(r.verdict == SandboxVerdict::kPassed);
}

// A signal the sandbox did not send is not blamed on a limit the program never reached
// (reviewer 70, finding 8: a program that SIGKILLed itself using a few MB was reported
// "likely memory limit").
TEST_CASE("sandbox names a signal the program sent itself without blaming memory") {
  Sandbox sb(short_limits());
  auto k = sb.run_python("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n");
  INFO(k.reason);
  CHECK(k.verdict == SandboxVerdict::kKilled);
  CHECK(k.reason.rfind("killed by SIGKILL", 0) == 0);
  CHECK(k.reason.find("memory limit") == std::string::npos);
  auto s = sb.run_python("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n");
  INFO(s.reason);
  CHECK(s.reason.rfind("killed by SIGSEGV", 0) == 0);
  CHECK(s.reason.find("likely memory limit") == std::string::npos);
}
