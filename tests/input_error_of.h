// input_error_of(f): the message of the InputError that f throws, or "(no InputError)", for
// tests that check what a bad input is told (Catch2 v2 and v3 name their string matchers apart).
#pragma once

#include <functional>
#include <string>

#include "common/error.h"

namespace moebench::testing {

inline std::string input_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

}  // namespace moebench::testing
