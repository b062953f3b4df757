// The user cache with HOME and XDG_CACHE_HOME unset (a cron or `env -i` job; reviewer 91, F6): it
// was ".cache/moebench/data", relative, so a fetch wrote into whatever directory it ran in and
// no other directory saw it. It is now under the passwd entry's home.
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "harness/data/data_dir.h"
#include "tests/catch.h"

using namespace moebench;
namespace fs = std::filesystem;

namespace {

// Unsets an environment variable for its lifetime.
class Unset {
 public:
  explicit Unset(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
    ::unsetenv(name);
  }
  ~Unset() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
  }
  Unset(const Unset&) = delete;
  Unset& operator=(const Unset&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("the user cache without HOME is under the passwd entry's home", "[data]") {
  const passwd* pw = ::getpwuid(::getuid());
  REQUIRE(pw != nullptr);
  REQUIRE(pw->pw_dir != nullptr);
  const fs::path home = pw->pw_dir;
  Unset xdg("XDG_CACHE_HOME"), h("HOME"), data("MOEBENCH_DATA");
  CHECK(data_user_cache_dir() == home / ".cache" / "moebench" / "data");
  const DataDir d = data_dir_resolve("", true);
  CHECK(d.path.is_absolute());
  CHECK(d.path == home / ".cache" / "moebench" / "data");
}
