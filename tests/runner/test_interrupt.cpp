// SIGINT/SIGTERM: at once (exit 130) outside a phase that watches for them, after what is in
// flight inside one. Each case runs in a forked child, which reports by its exit status.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "harness/runner/interrupt.h"
#include "tests/catch.h"

using namespace moebench;

namespace {

// The exit status of a child that installs the handlers and runs `body`; -1 if it did not exit.
int child_status(const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    interrupt_install();
    _exit(body());
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("interrupt: a signal outside a watching phase exits 130 at once", "[runner][interrupt]") {
  for (int sig : {SIGINT, SIGTERM}) {
    CHECK(child_status([sig] {
            raise(sig);
            return 7;  // reached only if the signal let the command go on
          }) == 130);
  }
}

TEST_CASE("interrupt: inside a watching phase the first signal asks and the second exits",
          "[runner][interrupt]") {
  CHECK(child_status([] {
          const InterruptScope watching;
          raise(SIGTERM);
          return interrupt_requested() ? 0 : 7;
        }) == 0);
  CHECK(child_status([] {
          const InterruptScope watching;
          raise(SIGINT);
          raise(SIGINT);
          return 7;
        }) == 130);
  // Asked inside the phase, the command ends as interrupted; a signal after the phase exits.
  CHECK(child_status([] {
          { const InterruptScope watching; }
          raise(SIGINT);
          return 7;
        }) == 130);
}
