// Helpers for tests that drive the moebench binary: temp dirs, running commands, reading files.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/catch.h"

namespace moebench::testing {

namespace fs = std::filesystem;

inline std::string moebench_bin() {
  if (const char* b = std::getenv("MOEBENCH_BIN"); b && *b) return b;
  return std::string(MOEBENCH_BINARY_DIR) + "/moebench";
}

// A writable copy of ../shared/datasets/<name> under dir/data; returns dir/data.
inline fs::path copy_dataset(const fs::path& dir, const std::string& name) {
  const fs::path data = dir / "data";
  fs::create_directories(data);
  fs::copy(fs::path(MOEBENCH_SOURCE_DIR "/../shared/datasets") / name, data / name,
           fs::copy_options::recursive);
  fs::permissions(data / name, fs::perms::owner_all, fs::perm_options::add);
  for (const auto& e : fs::recursive_directory_iterator(data / name)) {
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  return data;
}

// Occurrences of `needle` in `text` (overlapping ones too).
inline size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

inline fs::path temp_dir(const std::string& tag) {
  fs::path base =
      fs::temp_directory_path() / ("moebench-test-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base);
  return base;
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

// Runs `args` through the shell with output captured; returns the exit status.
inline CommandResult run_command(const std::string& args, const fs::path& dir) {
  fs::path out = dir / "command.out";
  std::string cmd = args + " > '" + out.string() + "' 2>&1";
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.output = read_file(out);
  return r;
}

// Starts `args` (argv[0] a path) in the background, stdout and stderr into `out`.
inline pid_t spawn(const std::vector<std::string>& args, const fs::path& out) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// The exit status of a spawned process (128 + signal when killed).
// Waits until `done()` holds, polling every 5 ms; false after `timeout_s` (generous: the wait is
// for an event, never a measurement, so a loaded machine only makes it slower).
inline bool wait_until(const std::function<bool()>& done, double timeout_s = 120) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

inline int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Result directories of a results dir (hidden partial ones excluded).
inline std::vector<fs::path> run_dirs(const fs::path& results) {
  std::vector<fs::path> out;
  if (!fs::exists(results)) return out;
  for (const auto& e : fs::directory_iterator(results)) {
    if (e.is_directory() && e.path().filename().string()[0] != '.') out.push_back(e.path());
  }
  return out;
}

// `moebench rescore --no-progress flags FILE` into dir/out (exit 0 required), its output in
// *output; its one run directory.
inline fs::path rescore_into(const fs::path& dir, const fs::path& file, const std::string& out,
                             const std::string& flags, std::string* output) {
  const CommandResult r =
      run_command(moebench_bin() + " rescore --no-progress " + flags + " --results-dir '" +
                      (dir / out).string() + "' '" + file.string() + "'",
                  dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  *output = r.output;
  const std::vector<fs::path> runs = run_dirs(dir / out);
  REQUIRE(runs.size() == 1);
  return runs[0];
}

// `moebench run` on the oracle over the bundled samples, without progress, writing under `results`.
inline std::string oracle_samples_run(const fs::path& results) {
  return moebench_bin() + " run --backend oracle --samples --no-progress --results-dir '" +
         results.string() + "'";
}

// A command refused as bad input with exactly `output` (its one line), exit 2.
inline void check_refused(const CommandResult& r, const std::string& output) {
  CHECK(r.exit_code == 2);
  CHECK(r.output == output);
}

// A command refused as bad input: exit 2, one line holding `needle`, no run written under
// dir/results (the results dir it was given).
inline void require_bad_input(const CommandResult& r, const std::string& needle,
                              const fs::path& dir, const std::string& results = "results") {
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find(needle) != std::string::npos);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);  // one line
  CHECK(run_dirs(dir / results).empty());                          // nothing written
}

}  // namespace moebench::testing
