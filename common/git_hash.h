// The git commit moebench was built from ("unknown" outside a checkout; "-dirty" when modified).
// Defined in a file the build regenerates whenever HEAD moves (cmake/git_hash.cmake).
#pragma once

namespace moebench {
extern const char* const kMoebenchGitHash;
}
