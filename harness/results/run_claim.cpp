// RunClaim: mkdir and flock on the partial directory's lock file; published by rename.
#include "harness/results/run_claim.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "common/error.h"

namespace moebench {
namespace fs = std::filesystem;
namespace {

constexpr const char* kLockName = ".lock";

fs::path partial_of(const fs::path& results_dir, const std::string& id) {
  return results_dir / ("." + id + ".partial");
}

EnvironmentError os_error(const fs::path& where, const std::string& what, int err) {
  return EnvironmentError(where.string() + ": " + what + ": " + std::strerror(err));
}

// Removes every entry of `dir` but its lock file: what a killed run (or this one) wrote there.
void clear_but_lock(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename() != kLockName) fs::remove_all(e.path(), ec);
  }
}

// The locked lock file of id's partial directory (made when missing), or -1 when a running run
// holds it.
int lock_partial(const fs::path& results_dir, const std::string& id) {
  const fs::path partial = partial_of(results_dir, id);
  const fs::path lock = partial / kLockName;
  // NOTE: another round only when a holder renamed or removed its directory between two steps.
  for (int round = 0; round < 100; ++round) {
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      throw os_error(partial, "cannot create the run's directory", errno);
    }
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) continue;
    if (fd < 0) throw os_error(lock, "cannot create", errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) return -1;
      throw os_error(lock, "cannot lock", err);
    }
    // The lock counts only while its file is still the partial directory's.
    struct stat held {
    }, now{};
    if (::fstat(fd, &held) == 0 && ::stat(lock.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino) {
      clear_but_lock(partial);
      return fd;
    }
    ::close(fd);
  }
  throw EnvironmentError(partial.string() + ": cannot claim the run's directory: it keeps moving");
}

// The claim of `id` when no finished run has it (or `replace`) and no running run holds it;
// `*held` tells the latter apart.
std::optional<RunClaim> claim_free(const fs::path& results_dir, const std::string& id, bool replace,
                                   bool* held) {
  std::error_code ec;
  *held = false;
  if (!replace && fs::exists(results_dir / id, ec)) return std::nullopt;
  const int fd = lock_partial(results_dir, id);
  if (fd < 0) {
    *held = true;
    return std::nullopt;
  }
  std::optional<RunClaim> claim(std::in_place, results_dir, id, fd);
  // A run that published `id` between the check above and the lock: looked for again under it.
  if (!replace && fs::exists(results_dir / id, ec)) return std::nullopt;
  return claim;
}

std::string taken_message(const std::string& wanted, const fs::path& results_dir) {
  return "--run-id '" + wanted + "': " + (results_dir / wanted).string() +
         " already exists; pass --force to replace it";
}

}  // namespace

RunClaim::RunClaim(fs::path results_dir, std::string id, int lock_fd)
    : results_dir_(std::move(results_dir)), id_(std::move(id)), lock_fd_(lock_fd) {}

RunClaim::RunClaim(RunClaim&& other) noexcept
    : results_dir_(std::move(other.results_dir_)),
      id_(std::move(other.id_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)) {}

RunClaim::~RunClaim() {
  if (lock_fd_ < 0) return;
  const fs::path partial = this->partial();
  clear_but_lock(partial);
  ::unlink((partial / kLockName).c_str());
  ::rmdir(partial.c_str());
  ::close(lock_fd_);
}

fs::path RunClaim::partial() const { return partial_of(results_dir_, id_); }

fs::path RunClaim::publish(bool force) {
  const fs::path final_dir = results_dir_ / id_;
  const fs::path partial = this->partial();
  if (::rename(partial.c_str(), final_dir.c_str()) != 0) {
    const int err = errno;
    if (err != ENOTEMPTY && err != EEXIST) {
      throw os_error(final_dir, "cannot move the results into place", err);
    }
    if (!force) {
      ::close(std::exchange(lock_fd_, -1));  // the files stay where they are
      throw EnvironmentError(final_dir.string() +
                             ": made while this run was writing (not by a moebench run); the "
                             "results are left in " +
                             partial.string());
    }
    // --force: the finished run steps aside, then goes.
    const fs::path old = results_dir_ / ("." + id_ + ".replaced-" + std::to_string(::getpid()));
    if (::rename(final_dir.c_str(), old.c_str()) != 0) {
      throw os_error(final_dir, "cannot replace", errno);
    }
    if (::rename(partial.c_str(), final_dir.c_str()) != 0) {
      const int moved = errno;
      ::rename(old.c_str(), final_dir.c_str());  // the finished run back in its place
      throw os_error(final_dir, "cannot move the results into place", moved);
    }
    std::error_code ec;
    fs::remove_all(old, ec);
  }
  ::unlink((final_dir / kLockName).c_str());
  ::close(std::exchange(lock_fd_, -1));
  return final_dir;
}

void results_check_run_id(const std::string& wanted, const fs::path& results_dir, bool force) {
  constexpr size_t kMaxLength = 200;
  const bool safe =
      wanted.size() <= kMaxLength && wanted[0] != '.' &&
      std::all_of(wanted.begin(), wanted.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
      });
  if (!safe) {
    throw InputError("--run-id '" + wanted +
                     "': a run id is one directory name of letters, digits, '.', '_' and '-', "
                     "not starting with '.', at most 200 characters");
  }
  std::error_code ec;
  if (!force && fs::exists(results_dir / wanted, ec)) {
    throw InputError(taken_message(wanted, results_dir));
  }
}

std::string results_choose_run_id(const std::string& wanted, const std::string& generated,
                                  const fs::path& results_dir, bool force) {
  if (!wanted.empty()) {
    results_check_run_id(wanted, results_dir, force);
    return wanted;
  }
  std::error_code ec;
  std::string id = generated;
  for (int k = 2; fs::exists(results_dir / id, ec); ++k) id = generated + "-" + std::to_string(k);
  return id;
}

RunClaim results_claim_run_id(const std::string& wanted, const std::string& generated,
                              const fs::path& results_dir, bool force) {
  if (!wanted.empty()) results_check_run_id(wanted, results_dir, force);
  std::error_code ec;
  fs::create_directories(results_dir, ec);
  if (ec) {
    throw EnvironmentError(results_dir.string() +
                           ": cannot create the results directory: " + ec.message());
  }
  bool held = false;
  if (!wanted.empty()) {
    if (auto claim = claim_free(results_dir, wanted, force, &held)) return std::move(*claim);
    if (!held) throw InputError(taken_message(wanted, results_dir));
    throw RunIdHeld("--run-id '" + wanted + "': another moebench run is writing " +
                        (results_dir / wanted).string() + " (it holds " +
                        partial_of(results_dir, wanted).string() +
                        "), with --force too; wait for it or choose another id",
                    results_dir / wanted, partial_of(results_dir, wanted));
  }
  for (int k = 1;; ++k) {
    const std::string id = k == 1 ? generated : generated + "-" + std::to_string(k);
    if (auto claim = claim_free(results_dir, id, false, &held)) return std::move(*claim);
  }
}

}  // namespace moebench
