// Sandbox: the namespace probe, the cgroup directory, and the pool of workers running programs
// (one program: sandbox_run.cpp; its verdict: sandbox_verdict.cpp; child side: sandbox_child.cpp).
// Hand-written on purpose: the isolation is the product.
#include "harness/scoring/sandbox.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "common/error.h"
#include "harness/scoring/sandbox_cgroup.h"
#include "harness/scoring/sandbox_run.h"
#include "harness/scoring/sandbox_tmpdir.h"

namespace moebench {

const char* sandbox_verdict_name(SandboxVerdict v) {
  switch (v) {
    case SandboxVerdict::kPassed:
      return "passed";
    case SandboxVerdict::kFailed:
      return "failed";
    case SandboxVerdict::kTimeout:
      return "timeout";
    case SandboxVerdict::kKilled:
      return "killed";
    case SandboxVerdict::kError:
      return "error";
  }
  return "error";
}

namespace {

std::string errno_text(const std::string& what, int err) {
  char buf[128];
  return what + ": " + strerror_r(err, buf, sizeof buf);
}

}  // namespace

struct Sandbox::Impl {
  bool namespaces = false;
  std::unique_ptr<SandboxCgroupRoot> cgroups;
  std::string no_namespace_reason;
  int workers = 1;
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;
};

std::string sandbox_prediction(const SandboxResult& r) {
  if (r.verdict == SandboxVerdict::kError) {
    throw std::runtime_error("code_exec: the sandbox could not run the program (" + r.reason + ")");
  }
  if (r.verdict == SandboxVerdict::kPassed) return "passed";
  return std::string(sandbox_verdict_name(r.verdict)) + ": " + r.reason;
}

Sandbox::Sandbox(SandboxOptions options) : options_(std::move(options)), impl_(new Impl) {
  std::unique_ptr<Impl> guard(impl_);
  if (access(options_.python.c_str(), X_OK) != 0) {
    throw InputError(errno_text("sandbox: python interpreter " + options_.python, errno));
  }
  std::error_code ec;
  auto real = std::filesystem::canonical(options_.python, ec).string();
  if (real.rfind("/usr/", 0) != 0) {
    throw InputError("sandbox: python interpreter " + options_.python + " resolves to '" + real +
                     "', outside /usr; the sandbox root only has /usr and /etc");
  }
  // NOTE: before the namespace probe, which needs a temp dir too, and with rlimits only as well:
  // an unusable TMPDIR (or one the programs' uid cannot enter) is the user's to fix, not a
  // reason to run without namespaces nor one for every program to fail as the model's fault.
  if (std::string e = sandbox_check_temp_dir(); !e.empty()) throw InputError("sandbox: " + e);
  SandboxResult probe;
  if (options_.force_rlimits_only) {
    probe.reason = "disabled by force_rlimits_only";
  } else {
    SandboxRunSetup setup{&options_, true, true, nullptr};
    probe = sandbox_run_program(setup, "", options_.limits);
  }
  impl_->namespaces = probe.verdict == SandboxVerdict::kPassed;
  if (!impl_->namespaces) {
    impl_->no_namespace_reason = probe.reason;
    if (!options_.allow_rlimits_only) {
      throw InputError("sandbox: Linux namespaces are unavailable here (" + probe.reason +
                       "); refusing to run generated code without isolation. Pass "
                       "--sandbox-rlimits-only to run it under rlimits only (NOT a security "
                       "boundary)");
    }
  }
  impl_->cgroups = std::make_unique<SandboxCgroupRoot>(options_.use_cgroups);
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  impl_->workers = options_.workers > 0 ? options_.workers : std::max(1, cores);
  guard.release();
}

Sandbox::~Sandbox() { delete impl_; }

std::string Sandbox::accounting() const {
  const std::string wait = impl_->cgroups->available() ? "cgroup cpu.pressure" : "/proc schedstat";
  return impl_->cgroups->describe() +
         ". Time limit: wall time less the time spent waiting for a CPU (" + wait +
         "), CPU limit over the whole process tree, wall-clock backstop max(10 x limit, 60 s)";
}

std::string Sandbox::isolation() const {
  if (impl_->namespaces) return "namespaces (user, net, mount, pid, ipc, uts)";
  return "rlimits only (no namespaces: " + impl_->no_namespace_reason + ")";
}

SandboxResult Sandbox::run_python(const std::string& program, const SandboxLimits* limits) {
  {
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->cv.wait(lock, [&] { return impl_->running < impl_->workers; });
    ++impl_->running;
  }
  struct Release {
    Impl* impl;
    ~Release() {
      std::lock_guard<std::mutex> lock(impl->mu);
      --impl->running;
      impl->cv.notify_one();
    }
  } release{impl_};
  SandboxRunSetup setup{&options_, impl_->namespaces, false, impl_->cgroups.get()};
  return sandbox_run_program(setup, program, limits ? *limits : options_.limits);
}

std::vector<SandboxResult> Sandbox::run_python_batch(const std::vector<std::string>& programs,
                                                     const SandboxLimits* limits) {
  std::vector<SandboxResult> results(programs.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < programs.size();) {
      results[i] = run_python(programs[i], limits);
    }
  };
  size_t n_threads = std::min<size_t>(static_cast<size_t>(impl_->workers), programs.size());
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace moebench
