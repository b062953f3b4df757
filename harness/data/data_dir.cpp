// data_dir_resolve: the data dir chain of README "Datasets".
#include "harness/data/data_dir.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "common/error.h"

namespace moebench {
namespace fs = std::filesystem;

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

// ../shared/datasets from the working directory, then from the source tree.
fs::path development_copy() {
  std::error_code ec;
  for (const fs::path& p : {fs::path("../shared/datasets"),
                            fs::path(MOEBENCH_SOURCE_DIR) / ".." / "shared" / "datasets"}) {
    if (fs::is_directory(p, ec)) return p;
  }
  return {};
}

}  // namespace

// NOTE: with HOME and XDG_CACHE_HOME unset (cron, `env -i`) the cache was ".cache/moebench/data",
// relative: a fetch wrote into whatever directory it ran in and no other directory saw it.
fs::path data_user_cache_dir() {
  if (const char* xdg = env("XDG_CACHE_HOME")) return fs::path(xdg) / "moebench" / "data";
  const char* home = env("HOME");
  if (!home) {
    const passwd* pw = ::getpwuid(::getuid());
    if (pw && pw->pw_dir && pw->pw_dir[0] == '/') home = pw->pw_dir;
  }
  if (!home) {
    throw InputError(
        "no user cache: $HOME and $XDG_CACHE_HOME are unset and the passwd entry names no home; "
        "pass --data-dir or set $MOEBENCH_DATA");
  }
  return fs::path(home) / ".cache" / "moebench" / "data";
}

DataDir data_dir_resolve(const std::string& flag, bool for_writing) {
  if (!flag.empty()) return {flag, "--data-dir"};
  if (const char* v = env("MOEBENCH_DATA")) return {v, "$MOEBENCH_DATA"};
  fs::path cache;
  try {
    cache = data_user_cache_dir();
  } catch (const InputError&) {
    if (for_writing) throw;  // reading falls back to the development copy, else finds no data
  }
  std::error_code ec;
  if (for_writing || (!cache.empty() && fs::is_directory(cache, ec))) {
    return {cache, "the user cache"};
  }
  const fs::path dev = development_copy();
  if (!dev.empty()) return {dev, "the development copy"};
  if (cache.empty()) data_user_cache_dir();  // no data dir at all: the one line above, exit 2
  return {cache, "the user cache"};
}

}  // namespace moebench
