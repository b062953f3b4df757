// Progress lines when stderr is not a terminal: one every interval even while nothing arrives, and
// counts that move with each item.
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "harness/runner/progress.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using moebench::Progress;
using moebench::testing::wait_until;

namespace {

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  std::fseek(f, 0, SEEK_END);
  return out;
}

}  // namespace

TEST_CASE("progress prints a line every interval while waiting, and counts each arrival") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    Progress p("requests", 3, true, 0.05, f);
    // Nothing arrived yet: the ticker still says so.
    REQUIRE(
        wait_until([&] { return contents(f).find("requests: 0/3 after") != std::string::npos; }));
    p.add(1);
    REQUIRE(wait_until([&] { return contents(f).find("requests: 1/3") != std::string::npos; }));
    p.add(2);
    p.finish();
  }
  const std::string out = contents(f);
  INFO(out);
  CHECK(out.find("requests: 3/3 (100.0%)") != std::string::npos);
  std::fclose(f);
}

TEST_CASE("progress disabled or with nothing to do prints nothing") {
  std::FILE* f = std::tmpfile();
  {
    Progress off("requests", 5, false, 0.01, f);
    Progress empty("requests", 0, true, 0.01, f);
    off.add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(contents(f).empty());
  std::fclose(f);
}
