// data_fetch: plan (present datasets are verified and skipped), download on a pool of workers,
// then move each complete dataset into place.
#include "harness/data/fetch.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/clock.h"
#include "common/error.h"
#include "common/hash.h"
#include "harness/data/archive_extract.h"
#include "harness/runner/progress.h"

namespace moebench {
namespace fs = std::filesystem;

namespace {

constexpr const char* kStaging = ".moebench-fetch";

// One dataset being fetched: its staging area and its first error.
struct Job {
  const DatasetSource* source = nullptr;
  DatasetOutcome* outcome = nullptr;
  fs::path stage;  // DATA/.moebench-fetch/<name>: files/ (the tree to move) and parts/
  std::mutex mu;
  std::string error;
  bool failed() {
    std::lock_guard<std::mutex> lock(mu);
    return !error.empty();
  }
  void fail(const std::string& message) {
    std::lock_guard<std::mutex> lock(mu);
    if (error.empty()) error = message;
  }
};

struct Task {
  Job* job;
  size_t download;
};

// Holds an exclusive lock on DATA/.moebench-fetch/lock while the fetch runs. Another fetch into
// the same directory (the shard jobs of a night on one host) is waited for, saying so once: it
// exited 2 at once, failing a shard on every first night.
class DirLock {
 public:
  DirLock(const fs::path& staging, bool* waited) {
    const fs::path file = staging / "lock";
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      throw InputError("data dir: cannot write " + file.string() + ": " + std::strerror(errno));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
    std::fprintf(stderr,
                 "moebench: data dir %s: another moebench data fetch is writing it; waiting for "
                 "it to finish\n",
                 staging.parent_path().c_str());
    std::fflush(stderr);
    *waited = true;
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd_);
      throw InputError("data dir: cannot lock " + file.string() + ": " + std::strerror(err));
    }
  }
  ~DirLock() { ::close(fd_); }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

bool file_matches(const fs::path& p, const DataFile& f) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && fs::file_size(p, ec) == f.bytes &&
         sha256_file_hex(p) == f.sha256;
}

std::string source_url(const DataDownload& d, const FetchOptions& o) {
  return o.mirror.empty() ? d.url : http_mirror_url(d.url, o.mirror);
}

// True when `f` is staged: by an earlier, interrupted fetch, or now copied from the dataset's
// files already in place (kept unless --force).
bool stage_existing(const Job& job, const DataFile& f, const FetchOptions& o) {
  const fs::path target = job.stage / "files" / f.path;
  if (file_matches(target, f)) return true;
  const fs::path in_place = o.data_dir / job.source->name / f.path;
  if (o.force || !file_matches(in_place, f)) return false;
  fs::create_directories(target.parent_path());
  fs::copy_file(in_place, target, fs::copy_options::overwrite_existing);
  return true;
}

void fetch_file(Job& job, const DataDownload& d, size_t index, const FetchOptions& o,
                Progress& progress, std::atomic<uint64_t>& downloaded) {
  const DataFile& f = d.files.front();
  if (stage_existing(job, f, o)) {
    progress.add(static_cast<long>(f.bytes));
    return;
  }
  const fs::path target = job.stage / "files" / f.path;
  fs::create_directories(target.parent_path());
  const fs::path part = job.stage / "parts" / (std::to_string(index) + ".part");
  fs::create_directories(part.parent_path());
  const std::string url = source_url(d, o);
  DownloadOptions dl = o.download;
  dl.on_bytes = [&](uint64_t n) {
    downloaded += n;
    progress.add(static_cast<long>(n));
  };
  const uint64_t size = http_download(url, part, dl);
  const std::string sha = sha256_file_hex(part);
  if (size != f.bytes || sha != f.sha256) {
    fs::remove(part);
    throw DownloadError(url + ": SHA-256 " + sha + " (" + std::to_string(size) +
                        " bytes), expected " + f.sha256 + " (" + std::to_string(f.bytes) +
                        " bytes); the download was discarded");
  }
  fs::rename(part, target);
}

void fetch_archive(Job& job, const DataDownload& d, size_t index, const FetchOptions& o,
                   Progress& progress, std::atomic<uint64_t>& downloaded) {
  bool all_staged = true;
  for (const DataFile& m : d.files) all_staged &= stage_existing(job, m, o);  // stages each it can
  if (all_staged) {
    progress.add(static_cast<long>(d.bytes()));
    return;
  }
  const fs::path part = job.stage / "parts" / (std::to_string(index) + ".archive.part");
  fs::create_directories(part.parent_path());
  DownloadOptions dl = o.download;
  dl.on_bytes = [&](uint64_t n) { downloaded += n; };
  const std::string url = source_url(d, o);
  http_download(url, part, dl);
  try {  // members staged above are counted, not written again
    archive_extract(part, d.files, job.stage / "files",
                    [&](uint64_t n) { progress.add(static_cast<long>(n)); });
  } catch (const ArchiveError& e) {
    fs::remove(part);  // a wrong archive is not resumed from
    throw ArchiveError(url + ": " + e.what() + "; the download was discarded");
  }
  fs::remove(part);
}

// "2 files it does not list: a, b" ("1 file ..."), naming up to 5.
std::string named(const std::string& what, const std::string& tail,
                  const std::vector<std::string>& names) {
  const size_t n = names.size();
  std::string out = std::to_string(n) + " " + what + (n == 1 ? "" : "s") + tail;
  size_t shown = 0;
  for (const std::string& name : names) {
    if (shown == 5) return out + ", and " + std::to_string(names.size() - shown) + " more";
    out += (shown++ ? ", " : ": ") + name;
  }
  return out;
}

// NOTE: the dataset dir in place was renamed away and removed whole, so a fetch repairing one
// file deleted every file of yours in it (notes, a conversion, extra splits) without a word.
// What it holds besides the table's files is now carried into the staged tree (run reads none of
// it), except a stray copy a split glob reads (run refuses it): that is removed. Both are named.
void carry_unlisted(Job& job, const FetchOptions& o) {
  const DatasetSource& d = *job.source;
  const fs::path from = o.data_dir / d.name, to = job.stage / "files";
  std::error_code ec;
  if (!fs::is_directory(from, ec)) return;
  std::set<std::string> listed, listed_dirs;
  for (const DataDownload& dl : d.downloads) {
    for (const DataFile& f : dl.files) {
      listed.insert(f.path);
      for (fs::path p = fs::path(f.path).parent_path(); !p.empty(); p = p.parent_path()) {
        listed_dirs.insert(p.generic_string());
      }
    }
  }
  auto globs = o.globs_of.find(d.name);
  const std::vector<std::string> stray_list = globs == o.globs_of.end()
                                                  ? std::vector<std::string>{}
                                                  : dataset_strays(d, o.data_dir, globs->second);
  const std::set<std::string> strays(stray_list.begin(), stray_list.end());
  std::vector<std::string> keep, removed, empty_dirs;
  for (auto it = fs::recursive_directory_iterator(from); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string rel = it->path().lexically_relative(from).generic_string();
    const bool dir = it->is_directory() && !it->is_symlink();
    if (listed.count(rel)) {  // the staged copy replaces it
      if (dir) it.disable_recursion_pending();
    } else if (dir) {
      if (fs::is_empty(it->path())) empty_dirs.push_back(rel);
    } else if (strays.count(rel) || listed_dirs.count(rel)) {  // or a file where a listed dir goes
      removed.push_back(rel);
    } else if (rel != kDatasetFetchedRecord) {  // the record is written anew
      keep.push_back(rel);
    }
  }
  for (const std::string& rel : empty_dirs) fs::create_directories(to / rel);
  for (const std::string& rel : keep) {
    fs::create_directories((to / rel).parent_path());
    fs::rename(from / rel, to / rel);
  }
  std::sort(keep.begin(), keep.end());
  std::sort(removed.begin(), removed.end());
  auto& notes = job.outcome->notes;
  if (!removed.empty())
    notes.push_back("removed " + named("stray file", " its split globs read", removed));
  if (!keep.empty()) notes.push_back("kept " + named("file", " it does not list", keep));
}

// Replaces DATA/<name> with the staged tree by renames; the old tree (less what
// carry_unlisted moved out of it) is removed after.
void commit(Job& job, const FetchOptions& o) {
  const fs::path final_dir = o.data_dir / job.source->name;
  const fs::path old = job.stage / "old";
  std::error_code ec;
  fs::remove_all(old, ec);
  // What a later run checks the dataset against (a one-file dataset cut after this fetch).
  dataset_write_fetched(*job.source, job.stage / "files");
  carry_unlisted(job, o);
  if (fs::exists(final_dir, ec)) fs::rename(final_dir, old);
  fs::rename(job.stage / "files", final_dir);
  fs::remove_all(job.stage, ec);
}

std::string describe(const Job& job, const FetchOptions& o) {
  auto it = o.suites_of.find(job.source->name);
  const bool same = it == o.suites_of.end() || it->second == job.source->name;
  return job.source->name + (same ? "" : " (suites " + it->second + ")");
}

void run_tasks(std::vector<Task>& tasks, const FetchOptions& o, Progress& progress,
               std::atomic<uint64_t>& downloaded) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < tasks.size();) {
      Job& job = *tasks[i].job;
      if (job.failed()) continue;
      const DataDownload& d = job.source->downloads[tasks[i].download];
      try {
        if (d.archive.empty()) {
          fetch_file(job, d, tasks[i].download, o, progress, downloaded);
        } else {
          fetch_archive(job, d, tasks[i].download, o, progress, downloaded);
        }
      } catch (const std::exception& e) {  // DownloadError, ArchiveError, filesystem_error
        job.fail(e.what());
      }
    }
  };
  std::vector<std::thread> pool;
  const int n = std::max(1, std::min<int>(o.jobs, static_cast<int>(tasks.size())));
  for (int t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace

bool FetchReport::ok() const {
  for (const DatasetOutcome& d : datasets) {
    if (d.state == DatasetOutcome::State::kFailed) return false;
  }
  return true;
}

// Every file in place at its SHA-256, no stray copy a split glob reads, and the record of an
// earlier fetch readable (a damaged one is rewritten after the files are verified again).
bool verified_present(const DatasetSource& d, const FetchOptions& o) {
  auto globs = o.globs_of.find(d.name);
  return dataset_presence(d, o.data_dir).complete() && dataset_verify(d, o.data_dir).empty() &&
         (globs == o.globs_of.end() || dataset_strays(d, o.data_dir, globs->second).empty()) &&
         dataset_fetched_record_problem(o.data_dir / d.name).empty();
}

// After waiting for another fetch: the datasets it put in place are present, not fetched again.
void drop_fetched_meanwhile(const FetchOptions& o, std::vector<std::unique_ptr<Job>>* jobs,
                            std::vector<Task>* tasks, uint64_t* total) {
  if (o.force) return;
  std::vector<std::unique_ptr<Job>> left;
  for (auto& job : *jobs) {
    const DatasetSource& d = *job->source;
    if (!verified_present(d, o)) {
      left.push_back(std::move(job));
      continue;
    }
    job->outcome->state = DatasetOutcome::State::kPresent;
    *total -= d.bytes();
    const Job* gone = job.get();
    std::erase_if(*tasks, [gone](const Task& t) { return t.job == gone; });
  }
  *jobs = std::move(left);
}

FetchReport data_fetch(const DatasetTable& table, const FetchOptions& o) {
  const auto t0 = Clock::now();
  const fs::path staging = o.data_dir / kStaging;
  FetchReport report;
  report.datasets.resize(o.datasets.size());
  std::vector<std::unique_ptr<Job>> jobs;
  std::vector<Task> tasks;
  uint64_t total = 0;
  for (size_t i = 0; i < o.datasets.size(); ++i) {
    const DatasetSource& d = table.find(o.datasets[i]);
    DatasetOutcome& out = report.datasets[i];
    out.name = d.name;
    out.files = d.file_count();
    out.bytes = d.bytes();
    if (!o.force && verified_present(d, o)) {
      out.state = DatasetOutcome::State::kPresent;
      continue;
    }
    if (std::string bad = dataset_fetched_record_problem(o.data_dir / d.name); !bad.empty()) {
      out.notes.push_back("wrote its record anew; the one in place could not be read: " + bad);
    }
    auto job = std::make_unique<Job>();
    job->source = &d;
    job->outcome = &out;
    job->stage = staging / d.name;
    for (size_t k = 0; k < d.downloads.size(); ++k) tasks.push_back({job.get(), k});
    total += d.bytes();
    jobs.push_back(std::move(job));
  }
  std::atomic<uint64_t> downloaded{0};
  // Nothing to fetch writes nothing: a read-only data dir holding every dataset is fine.
  std::optional<DirLock> lock;
  if (!jobs.empty()) {
    std::error_code ec;
    fs::create_directories(staging, ec);
    if (ec) {
      throw InputError("data dir " + o.data_dir.string() + ": cannot write (" + ec.message() + ")");
    }
    bool waited = false;
    lock.emplace(staging, &waited);
    if (waited) drop_fetched_meanwhile(o, &jobs, &tasks, &total);
  }
  {
    Progress progress("fetch", static_cast<long>(total), o.progress, o.progress_interval_s);
    progress.show_as_bytes();
    run_tasks(tasks, o, progress, downloaded);
    progress.finish();
  }
  for (auto& job : jobs) {
    if (job->error.empty()) {
      try {
        commit(*job, o);
      } catch (const std::exception& e) {
        job->error = e.what();
      }
    }
    job->outcome->state =
        job->error.empty() ? DatasetOutcome::State::kFetched : DatasetOutcome::State::kFailed;
    if (!job->error.empty()) job->outcome->error = describe(*job, o) + ": " + job->error;
  }
  report.downloaded = downloaded;
  report.seconds = seconds_since(t0);
  return report;
}

}  // namespace moebench
