// Where the programs' temp dirs go (internal to the sandbox): the temp root, made absolute, and
// the check, before any program runs, that a program's temp dir can be made there and reached by
// the uid the programs run as.
#pragma once

#include <string>

namespace moebench {

// The directory the programs' temp dirs go in: $TMPDIR (else TMP, TEMP, TEMPDIR, as
// std::filesystem::temp_directory_path()) or /tmp, made absolute against the current directory
// (the namespace child resolves it after chdir, and it is the rlimits-only program's TMPDIR);
// *named is how a message names it ("TMPDIR /scratch/job1" or "/tmp (TMPDIR is unset)").
std::string sandbox_temp_dir(std::string* named);
// "" when a program's temp dir can be made there and written to, and (moebench being root) the
// programs' uid, nobody, can enter it; else one line naming TMPDIR, the directory that blocks and
// why, and what to do.
std::string sandbox_check_temp_dir();

}  // namespace moebench
