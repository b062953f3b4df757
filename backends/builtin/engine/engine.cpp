// Engine::forward_sample's default: logits on the host, then one draw per chunk.
#include "backends/builtin/engine/engine.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace moebench {

std::vector<int> Engine::forward_sample(const std::vector<EngineChunk>& chunks,
                                        const std::vector<Sampler*>& samplers) {
  if (samplers.size() != chunks.size()) {
    throw std::invalid_argument("Engine::forward_sample: " + std::to_string(chunks.size()) +
                                " chunks but " + std::to_string(samplers.size()) + " samplers");
  }
  // Only each chunk's last row is sampled: ask for no other rows (copying only when needed).
  bool any_all = false;
  for (const EngineChunk& c : chunks) any_all = any_all || c.all_logits;
  std::vector<EngineChunk> last;
  if (any_all) {
    last = chunks;
    for (EngineChunk& c : last) c.all_logits = false;
  }
  const std::vector<float> logits = forward(any_all ? last : chunks);  // (chunks, vocab)
  const int vocab = config().vocab_size;
  std::vector<int> ids(chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (samplers[i] == nullptr) {
      throw std::invalid_argument("Engine::forward_sample: sampler " + std::to_string(i) +
                                  " is null");
    }
    ids[i] = samplers[i]->sample(logits.data() + i * static_cast<size_t>(vocab), vocab);
  }
  return ids;
}

}  // namespace moebench
