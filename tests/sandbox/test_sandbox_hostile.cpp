// Hostile programs: each must be contained (verdict recorded, host unchanged, no leftover
// processes) while the test process survives and the next program still runs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "harness/scoring/sandbox.h"
#include "sandbox_test_util.h"
#include "tests/catch.h"

using moebench::Sandbox;
using moebench::SandboxResult;
using moebench::SandboxVerdict;
using moebench::test::count_descendants;
using moebench::test::short_limits;

namespace {

// After a hostile program: nothing it started survives and the sandbox still works.
void check_contained(Sandbox& sb) {
  CHECK(count_descendants() == 0);
  auto next = sb.run_python("print('next')\n");
  INFO(next.reason);
  CHECK(next.verdict == SandboxVerdict::kPassed);
  CHECK(next.stdout_text == "next\n");
}

}  // namespace

TEST_CASE("sandbox limits the process count") {
  Sandbox sb(short_limits());
  auto r = sb.run_python(
      "import os, time\nn = 0\nfor _ in range(200):\n    try:\n        pid = os.fork()\n"
      "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(30)\n"
      "        os._exit(0)\n    n += 1\nprint(n)\n");
  INFO(r.reason << r.stderr_text);
  REQUIRE(r.verdict == SandboxVerdict::kPassed);
  CHECK(std::stoi(r.stdout_text) < sb.options().limits.max_processes);
  check_contained(sb);
}

TEST_CASE("sandbox contains a fork bomb") {
  Sandbox sb(short_limits());
  auto r = sb.run_python(
      "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n");
  INFO(r.reason);
  CHECK(r.verdict == SandboxVerdict::kTimeout);
  check_contained(sb);
}

TEST_CASE("sandbox kills a program that never ends on the wall limit") {
  // Sleeping costs no CPU, so only the wall limit can end it (a spinning loop would meet the CPU
  // limit first, or not, depending on the machine's load).
  Sandbox sb(short_limits());
  auto start = std::chrono::steady_clock::now();
  auto r = sb.run_python("import os, time\nos.fork()\nwhile True:\n    time.sleep(1)\n");
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(r.reason);
  CHECK(r.verdict == SandboxVerdict::kTimeout);
  CHECK(r.reason.rfind("wall time limit 2.5 s exceeded", 0) == 0);
  CHECK(took < 60);  // the backstop; a sleeping program is ended at its limit
  check_contained(sb);
}

TEST_CASE("sandbox kills a program on the CPU limit") {
  auto o = short_limits();
  o.limits.cpu_s = 1;
  o.limits.wall_s = 6;
  Sandbox sb(o);
  auto r = sb.run_python("while True:\n    pass\n");
  INFO(r.reason);
  CHECK(r.verdict == SandboxVerdict::kTimeout);
  CHECK(r.reason.rfind("CPU time limit 1.0 s exceeded", 0) == 0);
  CHECK(r.cpu_s < 2.5);  // RLIMIT_CPU's hard limit is 2 s; the tree count stops it at ~1 s
}

TEST_CASE("sandbox contains a 20 GB allocation") {
  Sandbox sb(short_limits());
  auto r = sb.run_python("x = bytearray(20 * 1024 ** 3)\nprint(len(x))\n");
  INFO(r.reason);
  CHECK(r.verdict == SandboxVerdict::kKilled);
  CHECK(r.reason.find("memory limit") != std::string::npos);
  check_contained(sb);
}

TEST_CASE("sandbox caps file size") {
  Sandbox sb(short_limits());
  auto r = sb.run_python("open('big', 'wb').write(b'x' * (64 << 20))\n");
  INFO(r.reason);
  CHECK(r.verdict == SandboxVerdict::kKilled);
  CHECK(r.reason.find("file size limit") != std::string::npos);
  check_contained(sb);
}

TEST_CASE("sandbox cannot write outside its temp dir") {
  namespace fs = std::filesystem;
  const std::string repo = MOEBENCH_SOURCE_DIR;
  const char* home_env = getenv("HOME");
  const std::string home = home_env ? home_env : "/root";
  const std::string passwd = moebench::test::read_text("/etc/passwd");
  // The sandbox's /tmp is its own tmpfs: writing there succeeds and the host's /tmp stays clean.
  const std::vector<std::string> targets = {repo + "/moebench_escape", home + "/moebench_escape",
                                            "/moebench_escape"};
  std::string program = "import os\nescaped = []\nfor p in [";
  for (const auto& t : targets) program += "'" + t + "', ";
  program +=
      "'/etc/passwd']:\n    try:\n        with open(p, 'a') as f:\n            f.write('x\\n')\n"
      "        escaped.append(p)\n    except OSError:\n        pass\n"
      "for d in ['/usr', '/etc', '/']:\n    try:\n        os.mkdir(d + '/moebench_dir')\n"
      "        escaped.append(d)\n    except OSError:\n        pass\n"
      "open('inside.txt', 'w').write('fine')\nopen('/tmp/inside.txt', 'w').write('fine')\n"
      "print(escaped)\n";
  Sandbox sb(short_limits());
  auto r = sb.run_python(program);
  INFO(r.reason << r.stderr_text);
  CHECK(r.verdict == SandboxVerdict::kPassed);
  CHECK(r.stdout_text == "[]\n");
  for (const auto& t : targets) CHECK_FALSE(fs::exists(t));
  CHECK_FALSE(fs::exists("/tmp/inside.txt"));
  CHECK_FALSE(fs::exists("/usr/moebench_dir"));
  CHECK(moebench::test::read_text("/etc/passwd") == passwd);
  check_contained(sb);
}

TEST_CASE("sandbox has no network") {
  // A listener on the host loopback that the program must not reach.
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  REQUIRE(lfd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(lfd, 4) == 0);
  socklen_t len = sizeof addr;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  Sandbox sb(short_limits());
  auto r = sb.run_python(
      "import socket\nreached = []\nfor host, port in [('127.0.0.1', " + std::to_string(port) +
      "), ('8.8.8.8', 53), ('1.1.1.1', 443)]:\n    try:\n"
      "        socket.create_connection((host, port), timeout=1)\n        reached.append(host)\n"
      "    except OSError as e:\n        pass\nprint(reached)\n");
  INFO(r.reason << r.stderr_text);
  CHECK(r.verdict == SandboxVerdict::kPassed);
  CHECK(r.stdout_text == "[]\n");
  CHECK(accept(lfd, nullptr, nullptr) < 0);  // nothing connected to the host listener
  close(lfd);
}

TEST_CASE("sandbox program cannot kill its parent") {
  Sandbox sb(short_limits());
  auto r = sb.run_python(
      "import os, signal\nfor pid in [os.getppid(), -1, 1]:\n    try:\n"
      "        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\nprint('alive')\n");
  INFO(r.reason);
  CHECK(r.verdict == SandboxVerdict::kPassed);  // we are still here to check it
  check_contained(sb);
}

TEST_CASE("sandbox caps a 1 GB stdout flood") {
  auto o = short_limits();
  o.limits.wall_s = 30;  // time writing into a pipe counts: keep it far from the limit
  o.limits.cpu_s = 30;
  Sandbox sb(o);
  auto r = sb.run_python(
      "import sys\nb = b'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.buffer.write(b)\n"
      "sys.stderr.write('done\\n')\n");
  INFO(r.reason << " wall " << r.wall_s);
  CHECK(r.verdict == SandboxVerdict::kPassed);
  CHECK(static_cast<long>(r.stdout_text.size()) == o.limits.output_bytes);
  CHECK(r.reason.find("stdout truncated") != std::string::npos);
  CHECK(r.stderr_text == "done\n");
  check_contained(sb);
}

TEST_CASE("sandbox kills a daemon left behind by a passing program") {
  Sandbox sb(short_limits());
  auto r = sb.run_python(
      "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
      "        time.sleep(60)\n    os._exit(0)\nprint('main done')\n");
  INFO(r.reason);
  CHECK(r.verdict == SandboxVerdict::kPassed);
  CHECK(r.stdout_text == "main done\n");
  CHECK(r.wall_s < 30);  // the daemon (60 s) holding stdout does not keep the run open
  check_contained(sb);
}
