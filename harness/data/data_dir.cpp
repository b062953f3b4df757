// data_dir_resolve: the data dir chain of README "Datasets".
#include "harness/data/data_dir.h"

#include <cstdlib>

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

fs::path data_user_cache_dir() {
  if (const char* xdg = env("XDG_CACHE_HOME")) return fs::path(xdg) / "moebench" / "data";
  if (const char* home = env("HOME")) return fs::path(home) / ".cache" / "moebench" / "data";
  return fs::path(".cache") / "moebench" / "data";
}

DataDir data_dir_resolve(const std::string& flag, bool for_writing) {
  if (!flag.empty()) return {flag, "--data-dir"};
  if (const char* v = env("MOEBENCH_DATA")) return {v, "$MOEBENCH_DATA"};
  const fs::path cache = data_user_cache_dir();
  std::error_code ec;
  if (for_writing || fs::is_directory(cache, ec)) return {cache, "the user cache"};
  const fs::path dev = development_copy();
  if (!dev.empty()) return {dev, "the development copy"};
  return {cache, "the user cache"};
}

}  // namespace moebench
