// Engine::forward_sample's default: logits on the host, then one draw per chunk; start_sample /
// finish_sample over it.
#include "backends/builtin/engine/engine.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace moebench {

std::vector<int> Engine::forward_sample(const std::vector<EngineChunk>& chunks,
                                        const std::vector<Sampler*>& samplers) {
  check_samplers(chunks.size(), samplers, "Engine::forward_sample");
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
    ids[i] = samplers[i]->sample(logits.data() + i * static_cast<size_t>(vocab), vocab);
  }
  return ids;
}

std::vector<EngineChunk> Engine::resolve_sampled(const std::vector<EngineChunk>& chunks,
                                                 const std::map<int, int>& last_ids,
                                                 const char* who) {
  std::vector<EngineChunk> out = chunks;
  for (size_t i = 0; i < out.size(); ++i) {
    for (int& t : out[i].tokens) {
      if (t != kSampledToken) continue;
      const auto it = last_ids.find(out[i].seq);
      if (it == last_ids.end()) {
        throw std::invalid_argument(std::string(who) + ": chunk " + std::to_string(i) + " (seq " +
                                    std::to_string(out[i].seq) +
                                    ") feeds the sampled token, but the previous step drew none "
                                    "for its sequence");
      }
      t = it->second;
    }
  }
  return out;
}

void Engine::check_in_flight(size_t unfinished, size_t most, const char* who) {
  if (unfinished >= most) {
    throw std::logic_error(std::string(who) + ": " + std::to_string(unfinished) +
                           " started steps are unfinished; finish_sample first");
  }
}

void Engine::check_samplers(size_t n_chunks, const std::vector<Sampler*>& samplers,
                            const char* who) {
  if (samplers.size() != n_chunks) {
    throw std::invalid_argument(std::string(who) + ": " + std::to_string(n_chunks) +
                                " chunks but " + std::to_string(samplers.size()) + " samplers");
  }
  for (size_t i = 0; i < samplers.size(); ++i) {
    if (samplers[i] == nullptr) {
      throw std::invalid_argument(std::string(who) + ": sampler " + std::to_string(i) + " is null");
    }
  }
}

void Engine::start_sample(const std::vector<EngineChunk>& chunks,
                          const std::vector<Sampler*>& samplers) {
  check_in_flight(done_.size(), 2, "Engine::start_sample");
  const std::vector<int> ids =
      forward_sample(resolve_sampled(chunks, last_ids_, "Engine::start_sample"), samplers);
  last_ids_.clear();
  for (size_t i = 0; i < chunks.size(); ++i) last_ids_[chunks[i].seq] = ids[i];
  done_.push_back(ids);
}

std::vector<int> Engine::finish_sample() {
  if (done_.empty()) throw std::logic_error("Engine::finish_sample: no started step");
  std::vector<int> ids = std::move(done_.front());
  done_.pop_front();
  return ids;
}

}  // namespace moebench
