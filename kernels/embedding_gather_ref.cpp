// CPU reference of cuda_embedding_gather: a row copy per token, zero rows for bad ids.
#include <algorithm>

#include "kernels/reference.h"

namespace moebench {

int64_t ref_embedding_gather(const std::vector<int32_t>& ids, const std::vector<float>& table,
                             int64_t vocab, int64_t hidden, std::vector<float>& out,
                             const std::vector<int32_t>* prev_ids) {
  const int64_t n_tokens = static_cast<int64_t>(ids.size());
  out.assign(n_tokens * hidden, 0.0f);  // (n_tokens, hidden)
  int64_t bad = 0;
  for (int64_t t = 0; t < n_tokens; ++t) {
    int64_t id = ids[t];
    if (id < 0 && prev_ids != nullptr) {
      const int64_t at = -1 - id;
      id = at < static_cast<int64_t>(prev_ids->size()) ? (*prev_ids)[at] : -1;
    }
    if (id < 0 || id >= vocab) {
      ++bad;
      continue;
    }
    std::copy_n(table.begin() + id * hidden, hidden, out.begin() + t * hidden);
  }
  return bad;
}

}  // namespace moebench
