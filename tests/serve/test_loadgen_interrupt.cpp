// `moebench loadgen` stopped by SIGINT or SIGTERM (README "Running"): it sends nothing more, waits
// only for the requests in flight, prints the table of what it sent and exits 130. The signal
// comes from the in-process server as a request reaches it, so nothing depends on timing: the
// schedule's next arrival is ~10 s away, which loadgen sleeping until it would wait out.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "harness/loadgen/loadgen_run.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"
#include "tests/serve/loadgen_fake_server.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

// The number the table prints after `label`; -1 when it has no such line.
double table_value(const std::string& table, const std::string& label) {
  const size_t at = table.find(label);
  if (at == std::string::npos) return -1;
  double v = -1;
  std::sscanf(table.c_str() + at + label.size(), "%lf", &v);
  return v;
}

struct Interrupted {
  int exit_code = -1;
  std::string output;
};

// `moebench loadgen` with three requests ~10 s apart (and `warmup` warm-up requests first) against
// a server that sends it `sig` when its `nth` request arrives.
Interrupted interrupted_loadgen(int sig, int nth, int warmup) {
  FakeServer server;
  std::atomic<pid_t> child{-1};
  server.on_request = [&](int k) {
    if (k == nth) ::kill(child.load(), sig);
  };
  const fs::path dir = temp_dir("loadgen-interrupt");
  const std::string base_url = server.options("m").target.base_url;
  child = spawn({moebench_bin(),
                 "loadgen",
                 "--base-url",
                 base_url,
                 "--model",
                 "m",
                 "--num-prompts",
                 "3",
                 "--request-rate",
                 "0.1",
                 "--burstiness",
                 "1000",
                 "--seed",
                 "0",
                 "--input-len",
                 "4",
                 "--output-len",
                 "4",
                 "--warmup",
                 std::to_string(warmup),
                 "--no-progress",
                 "--json",
                 (dir / "never.json").string()},
                dir / "out.txt");
  Interrupted r;
  r.exit_code = wait_exit(child.load());
  r.output = read_file(dir / "out.txt");
  CHECK(server.requests() == nth);  // nothing sent after the signal
  CHECK_FALSE(fs::exists(dir / "never.json"));
  return r;
}

}  // namespace

// It slept until each request's scheduled arrival and only then saw the interrupt: exit 130 after
// the whole schedule (27 s in reviewer 88's run), its duration counting the idle wait.
TEST_CASE("loadgen: an interrupt ends the run after the requests in flight", "[loadgen]") {
  const std::vector<double> schedule = loadgen_arrival_times(3, 0.1, 0, 1000);
  REQUIRE(schedule[1] > 5);
  for (int sig : {SIGINT, SIGTERM}) {
    const Interrupted r = interrupted_loadgen(sig, 1, 0);
    INFO(r.output);
    CHECK(r.exit_code == 130);
    CHECK(table_value(r.output, "Successful requests:") == 1);
    CHECK(table_value(r.output, "Failed requests:") == 2);
    CHECK(r.output.find("failed: 2 x interrupted") != std::string::npos);
    // The duration ends with the one request sent, not at the next arrival.
    const double duration = table_value(r.output, "Benchmark duration (s):");
    CHECK(duration >= 0);
    CHECK(duration < schedule[1]);
  }
}

TEST_CASE("loadgen: an interrupt during the warm-up sends no measured request", "[loadgen]") {
  const Interrupted r = interrupted_loadgen(SIGTERM, 1, 1);
  INFO(r.output);
  CHECK(r.exit_code == 130);
  CHECK(table_value(r.output, "Successful requests:") == 0);
  CHECK(r.output.find("failed: 3 x interrupted") != std::string::npos);
  CHECK(table_value(r.output, "Benchmark duration (s):") == 0);
}
