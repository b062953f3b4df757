// Step planning of the CUDA engine: chunks to steps and the packed metadata layout.
#include "backends/builtin/engine/cuda/engine_cuda_plan.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace moebench {

std::vector<std::vector<StepPiece>> plan_steps(const std::vector<ChunkDesc>& chunks,
                                               int max_tokens) {
  if (max_tokens < 1) throw std::invalid_argument("plan_steps: max_tokens must be >= 1");
  std::vector<std::vector<StepPiece>> steps(1);
  std::set<int> in_step;  // sequences of the step being filled
  int step_tokens = 0;
  for (size_t c = 0; c < chunks.size(); ++c) {
    const ChunkDesc& ch = chunks[c];
    const int n = static_cast<int>(ch.tokens->size());
    for (int start = 0; start < n;) {
      const int room = max_tokens - step_tokens;
      if (room == 0 || in_step.count(ch.seq)) {
        steps.emplace_back();
        in_step.clear();
        step_tokens = 0;
        continue;
      }
      const int take = std::min(room, n - start);
      StepPiece p;
      p.chunk = static_cast<int>(c);
      p.seq = ch.seq;
      p.past = ch.past + start;
      p.tokens.assign(ch.tokens->begin() + start, ch.tokens->begin() + start + take);
      const bool last = start + take == n;
      p.out_rows = ch.all_logits ? take : (last ? 1 : 0);
      p.sample = last;
      steps.back().push_back(std::move(p));
      in_step.insert(ch.seq);
      step_tokens += take;
      start += take;
    }
  }
  if (steps.back().empty()) steps.pop_back();
  return steps;
}

MetaLayout meta_layout(int64_t rows, int64_t out_rows, int chunks, int table_width, int groups,
                       int sample_rows) {
  MetaLayout m;
  size_t at = 0;
  auto take = [&](size_t bytes) {
    const size_t off = at;
    at = (at + bytes + 15) / 16 * 16;
    return off;
  };
  const size_t i32 = sizeof(int32_t);
  m.tokens = take(rows * i32);
  m.positions = take(rows * i32);
  m.slots = take(rows * i32);
  m.out_rows = take(out_rows * i32);
  m.seq_lens = take(chunks * i32);
  m.block_table = take(static_cast<size_t>(chunks) * table_width * i32);
  m.cu_q = take((chunks + groups) * i32);
  m.cu_k = take((chunks + groups) * i32);
  m.temperature = take(sample_rows * sizeof(float));
  m.top_p = take(sample_rows * sizeof(float));
  m.top_k = take(sample_rows * i32);
  m.seed = take(sample_rows * sizeof(uint64_t));
  m.draw = take(sample_rows * sizeof(uint64_t));
  m.bytes = at;
  return m;
}

}  // namespace moebench
