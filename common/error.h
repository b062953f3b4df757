// Error types shared by every module: InputError is bad user input (exit code 2), EnvironmentError
// a file the system would not write (exit code 6), everything else that escapes to the CLI is an
// internal failure (exit code 1).
#pragma once

#include <stdexcept>
#include <string>

namespace moebench {

// Bad input from the user: a malformed file, an unknown name, a bad flag. The message is one line
// and names the file:line or the field, e.g. "tasks/math/gsm8k.json: field 'metrics[0].metric':
// unknown metric 'exact'".
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The system refused a write the input was right to ask for: a full disk, a file size limit, a
// path through a regular file, a read-only file system. Neither bad input nor a bug; the message
// is one line naming the file and the OS's error, e.g. "results/cache.sqlite: response cache:
// cannot store responses: database or disk is full".
class EnvironmentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Builds "<where>: <what>" for InputError messages.
inline InputError input_error(const std::string& where, const std::string& what) {
  return InputError(where + ": " + what);
}

}  // namespace moebench
