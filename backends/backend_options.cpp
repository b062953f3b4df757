// Parsing --backend-opt values.
#include "backends/backend_options.h"

#include <cmath>
#include <stdexcept>

#include "common/error.h"

namespace moebench {

double backend_opt_number(const std::string& key, const std::string& v) {
  try {
    size_t used = 0;
    double d = std::stod(v, &used);
    if (used == v.size() && std::isfinite(d)) return d;
  } catch (const std::exception&) {
  }
  throw InputError("--backend-opt " + key + "=" + v + ": expected a number");
}

long backend_opt_integer(const std::string& key, const std::string& v) {
  try {
    size_t used = 0;
    long n = std::stol(v, &used);
    if (used == v.size()) return n;
  } catch (const std::exception&) {
  }
  throw InputError("--backend-opt " + key + "=" + v + ": expected an integer");
}

bool backend_opt_bool(const std::string& key, const std::string& v) {
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  throw InputError("--backend-opt " + key + "=" + v + ": expected 0 or 1");
}

}  // namespace moebench
