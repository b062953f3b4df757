// Values of `--backend-opt key=value`: numbers, integers and 0/1 switches, each refused with an
// InputError naming the option.
#pragma once

#include <string>

namespace moebench {

double backend_opt_number(const std::string& key, const std::string& value);
long backend_opt_integer(const std::string& key, const std::string& value);
bool backend_opt_bool(const std::string& key, const std::string& value);  // 0|1|true|false

}  // namespace moebench
