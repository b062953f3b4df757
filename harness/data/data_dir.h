// Where the datasets are read from and fetched to: --data-dir, then $MOEBENCH_DATA, then the
// user's cache ($XDG_CACHE_HOME/moebench/data, else ~/.cache/moebench/data). A checkout beside
// ../shared/datasets (our development machines) falls back to that copy while the cache is absent.
#pragma once

#include <filesystem>
#include <string>

namespace moebench {

struct DataDir {
  std::filesystem::path path;
  std::string
      chosen_by;  // "--data-dir", "$MOEBENCH_DATA", "the user cache", "the development copy"
};

// `flag` is --data-dir ("" when not given). `for_writing` (data fetch) never picks the
// development copy: a fetch goes to the user cache.
DataDir data_dir_resolve(const std::string& flag, bool for_writing = false);

// $XDG_CACHE_HOME/moebench/data, else $HOME/.cache/moebench/data, else under the passwd entry's
// home; InputError (pass --data-dir or set $MOEBENCH_DATA) when there is none.
std::filesystem::path data_user_cache_dir();

}  // namespace moebench
