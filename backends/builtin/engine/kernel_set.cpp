// KernelSet's flag names.
#include "backends/builtin/engine/kernel_set.h"

namespace moebench {

const char* kernel_set_name(KernelSet k) {
  switch (k) {
    case KernelSet::separate:
      return "separate";
    case KernelSet::fused:
      return "fused";
    case KernelSet::wgmma:
      return "wgmma";
  }
  return "separate";
}

std::optional<KernelSet> kernel_set_parse(std::string_view name) {
  for (KernelSet k : {KernelSet::separate, KernelSet::fused, KernelSet::wgmma}) {
    if (name == kernel_set_name(k)) return k;
  }
  return std::nullopt;
}

}  // namespace moebench
