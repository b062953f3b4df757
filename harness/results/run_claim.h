// The claim of a run directory name: from the moment a run chooses its id until its results are in
// place, results_dir/.<id>.partial is its own, so two runs never write or replace one directory.
#pragma once

#include <filesystem>
#include <string>

#include "common/error.h"

namespace moebench {

// Holds results_dir/.<id>.partial: made with mkdir and locked (flock on its .lock) while this
// process lives. A partial left by a killed run holds nothing (its lock died with it) and is taken
// over; one being written by a running run is refused.
class RunClaim {
 public:
  RunClaim(std::filesystem::path results_dir, std::string id, int lock_fd);
  RunClaim(RunClaim&& other) noexcept;
  RunClaim& operator=(RunClaim&&) = delete;
  RunClaim(const RunClaim&) = delete;
  RunClaim& operator=(const RunClaim&) = delete;
  ~RunClaim();  // unless published: removes the partial directory and what was written into it

  const std::string& id() const { return id_; }
  // Where the run's files are written before they are published.
  std::filesystem::path partial() const;
  // Renames the partial directory to results_dir/<id>. A directory of that name made meanwhile
  // (not by a moebench run: those claim first) is replaced only when `force`; otherwise
  // EnvironmentError, and the partial directory is left for the user.
  std::filesystem::path publish(bool force);

 private:
  std::filesystem::path results_dir_;
  std::string id_;
  int lock_fd_ = -1;  // -1 once published or moved from
};

// The InputError of a run id that a running moebench holds: callers whose id is not the user's
// --run-id (nightly's cells, merge's -o) say so in their own words.
class RunIdHeld : public InputError {
 public:
  RunIdHeld(const std::string& message, std::filesystem::path dir, std::filesystem::path partial)
      : InputError(message), dir_(std::move(dir)), partial_(std::move(partial)) {}
  const std::filesystem::path& dir() const { return dir_; }          // results_dir/<id>
  const std::filesystem::path& partial() const { return partial_; }  // the directory it holds

 private:
  std::filesystem::path dir_, partial_;
};

// Checks a given --run-id: one path component of letters, digits, '.', '_' and '-' not starting
// with '.', naming an existing run only when `force` is set; otherwise InputError naming --run-id.
void results_check_run_id(const std::string& wanted, const std::filesystem::path& results_dir,
                          bool force);
// The directory name a run would write under, claiming nothing (--dry-run): `wanted` once checked,
// or when empty `generated`, with "-2", "-3", ... appended while a run of that name exists.
std::string results_choose_run_id(const std::string& wanted, const std::string& generated,
                                  const std::filesystem::path& results_dir, bool force);

// Claims the run id `wanted` (checked as results_check_run_id does: InputError naming --run-id
// when unsafe, when a finished run has it and `force` is not set, or RunIdHeld when a running run
// holds it, with `force` too), or when `wanted` is empty `generated`, else "-2", "-3", ... the
// first that no finished or running run has. Creates results_dir first; EnvironmentError naming the
// directory and the OS's error when it cannot be created or written.
RunClaim results_claim_run_id(const std::string& wanted, const std::string& generated,
                              const std::filesystem::path& results_dir, bool force);

}  // namespace moebench
