// PyRandom against CPython's random.Random: hard-coded values from Python 3.11, and (when python3
// is installed) long runs of sample/getrandbits compared with python3's own output.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tasks/src/py_random.h"
#include "tests/catch.h"

namespace fs = std::filesystem;
using moebench::PyRandom;

namespace {

// Runs `script` with python3; "" when python3 is missing or fails.
std::string run_python(const std::string& script) {
  fs::path file = fs::temp_directory_path() / ("moebench_pyrandom_" + std::to_string(::getpid()));
  std::ofstream(file) << script;
  std::string cmd = "python3 " + file.string() + " 2>/dev/null";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
    if (::pclose(p) != 0) out.clear();
  }
  fs::remove(file);
  return out;
}

std::string join(const std::vector<size_t>& v) {
  std::string s;
  for (size_t x : v) s += (s.empty() ? "" : " ") + std::to_string(x);
  return s;
}

struct Case {
  long long seed;
  size_t n, k, calls;
};

// Every (seed, population, k) pair; each gets one fresh RNG advanced over `calls` samples.
std::vector<Case> cases() {
  std::vector<Case> out;
  const long long seeds[] = {0, 1, 42, 1234, (1LL << 40) + 7};
  const size_t pops[] = {4, 10, 30, 37, 38, 100, 1000, 7473};
  const size_t ks[] = {1, 3, 5, 8};
  for (long long s : seeds) {
    for (size_t n : pops) {
      for (size_t k : ks) {
        if (k <= n) out.push_back({s, n, k, 50});
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("py_random: hard-coded CPython 3.11 values", "[py_random]") {
  PyRandom r(1234);  // lm-eval's fewshot seed; gsm8k train has 7473 docs
  CHECK(r.sample(7473, 5) == std::vector<size_t>{6374, 3610, 957, 61, 742});
  CHECK(r.sample(7473, 5) == std::vector<size_t>{7462, 6610, 4769, 286, 5501});
  CHECK(r.sample(7473, 5) == std::vector<size_t>{5677, 687, 806, 6279, 2905});

  PyRandom z(0);
  CHECK(z.getrandbits(32) == 3626764237u);
  CHECK(z.getrandbits(64) == 13981790821421117374ull);
  CHECK(z.getrandbits(40) == 463385069186ull);
  CHECK(z.random() == 0.04048437818077755);

  PyRandom big((1LL << 40) + 7);                                            // two key words
  CHECK(big.sample(10, 8) == std::vector<size_t>{9, 7, 4, 8, 1, 6, 3, 2});  // pool branch
  CHECK(big.sample(1000, 8) == std::vector<size_t>{737, 371, 402, 453, 460, 884, 918, 381});

  PyRandom f(42);
  CHECK(f.sample(4, 4) == std::vector<size_t>{0, 3, 1, 2});
  CHECK(f.sample(38, 8) == std::vector<size_t>{14, 8, 6, 34, 5, 27, 2, 0});

  CHECK(PyRandom(-5).getrandbits(32) == 2675342405u);  // abs(seed)
  CHECK(PyRandom(5).getrandbits(32) == 2675342405u);
  CHECK_THROWS_AS(PyRandom(1).sample(3, 4), std::invalid_argument);
}

TEST_CASE("py_random: sample matches python3 over seeds, sizes and k", "[py_random]") {
  std::vector<Case> cs = cases();
  std::ostringstream py;
  py << "import random\n";
  for (const Case& c : cs) {
    py << "r = random.Random(" << c.seed << ")\n"
       << "for _ in range(" << c.calls << "): print(*r.sample(range(" << c.n << "), " << c.k
       << "))\n";
  }
  std::string expected = run_python(py.str());
  if (expected.empty()) {
    WARN("skipped: python3 not available");
    return;
  }
  std::istringstream lines(expected);
  std::string line;
  size_t compared = 0;
  for (const Case& c : cs) {
    PyRandom r(c.seed);
    for (size_t i = 0; i < c.calls; ++i) {
      REQUIRE(std::getline(lines, line));
      INFO("seed " << c.seed << " sample(range(" << c.n << "), " << c.k << ") call " << i);
      REQUIRE(join(r.sample(c.n, c.k)) == line);
      ++compared;
    }
  }
  CHECK(compared == cs.size() * 50);
}

TEST_CASE("py_random: getrandbits and random match python3", "[py_random]") {
  std::string expected = run_python(
      "import random\n"
      "r = random.Random(2**40 + 7)\n"
      "for k in list(range(1, 65)) * 4: print(r.getrandbits(k))\n"
      "for _ in range(20): print(repr(r.random()))\n");
  if (expected.empty()) {
    WARN("skipped: python3 not available");
    return;
  }
  std::istringstream lines(expected);
  std::string line;
  PyRandom r((1LL << 40) + 7);
  for (int rep = 0; rep < 4; ++rep) {
    for (int k = 1; k <= 64; ++k) {
      REQUIRE(std::getline(lines, line));
      INFO("getrandbits(" << k << ")");
      REQUIRE(std::to_string(r.getrandbits(k)) == line);
    }
  }
  for (int i = 0; i < 20; ++i) {
    REQUIRE(std::getline(lines, line));
    REQUIRE(r.random() == std::stod(line));
  }
}
