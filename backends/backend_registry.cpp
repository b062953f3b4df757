// BackendRegistry: "scheme" or "scheme:arg" to a registered factory.
#include "backends/backend_registry.h"

#include "common/error.h"

namespace moebench {

void BackendRegistry::add(BackendScheme scheme) { schemes_.push_back(std::move(scheme)); }

std::unique_ptr<Backend> BackendRegistry::make(const std::string& spec,
                                               const BackendContext& context) const {
  for (const BackendScheme& s : schemes_) {
    if (!s.takes_arg && spec == s.name) return s.make("", context);
    if (s.takes_arg && spec.rfind(s.name + ":", 0) == 0) {
      return s.make(spec.substr(s.name.size() + 1), context);
    }
  }
  throw InputError("--backend '" + spec + "': unknown backend (known: " + known() + ")");
}

std::string BackendRegistry::known() const {
  std::string out;
  for (const BackendScheme& s : schemes_) out += (out.empty() ? "" : ", ") + s.usage;
  return out;
}

}  // namespace moebench
