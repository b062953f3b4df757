// CudaEngine::start_sample / finish_sample: a decode step is launched from its CUDA graph and
// start_sample returns at once, so the host prepares and launches the next step while this one
// runs; a kSampledToken of the next step reads this step's id from ws_.sampled on the device (the
// embedding gather's negative ids), or, when the ids are no longer there (the step before ran
// through forward_sample), the id on the host. Steps with prefill pieces (or without graphs) run
// through forward_sample, their kSampledToken resolved on the host.
#ifdef MOEBENCH_HAVE_CUDA

#include <cuda_runtime_api.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "backends/builtin/engine/cuda/engine_cuda_engine.h"
#include "kernels/cuda_check.h"

namespace moebench {

std::vector<StepPiece> CudaEngine::graph_step_pieces(const std::vector<EngineChunk>& chunks) const {
  const bool singles = std::all_of(chunks.begin(), chunks.end(),
                                   [](const EngineChunk& c) { return c.tokens.size() == 1; });
  if (!options_.cuda_graphs || !singles || chunks.empty() ||
      static_cast<int>(chunks.size()) > options_.max_batch) {
    return {};
  }
  std::vector<std::vector<StepPiece>> steps = plan_sampled(chunks);
  return steps.size() == 1 ? std::move(steps[0]) : std::vector<StepPiece>{};
}

void CudaEngine::collect(Started& s) {
  if (s.ready) return;
  CUDA_CHECK(cudaEventSynchronize(pipe_done_[s.slot]));
  append_draws(pipe_ids_[s.slot], static_cast<int64_t>(s.seqs.size()), s.draws);
  s.ready = true;
  s.slot = -1;
}

std::map<int, int> CudaEngine::last_ids_on_host() {
  std::map<int, int> ids;
  if (last_started_ == nullptr) return ids;
  collect(*last_started_);
  for (size_t i = 0; i < last_started_->seqs.size(); ++i) {
    ids[last_started_->seqs[i]] = last_started_->draws.ids[i];
  }
  return ids;
}

void CudaEngine::start_sample(const std::vector<EngineChunk>& chunks,
                              const std::vector<Sampler*>& samplers) {
  const char* who = "CudaEngine::start_sample";
  check_in_flight(started_.size(), 2, who);
  check_samplers(chunks.size(), samplers, who);
  auto started = std::make_shared<Started>();
  for (const EngineChunk& ch : chunks) started->seqs.push_back(ch.seq);
  std::vector<StepPiece> pieces = graph_step_pieces(chunks);
  const bool feeds = std::any_of(chunks.begin(), chunks.end(), [](const EngineChunk& c) {
    return std::find(c.tokens.begin(), c.tokens.end(), kSampledToken) != c.tokens.end();
  });
  if (!pieces.empty()) {
    // A fed token runs as -1 - (its row of the last step's ids, still in ws_.sampled) when that
    // step ran from its graph and nothing sampled since; else as the id, read on the host (the
    // last step ran through forward_sample: its ids are there already).
    const bool on_device = feeds && last_on_device_;
    std::map<int, int> fed;  // sequence -> its row of the last step (on_device) or its id
    if (on_device) {
      for (size_t i = 0; i < last_started_->seqs.size(); ++i) {
        fed[last_started_->seqs[i]] = static_cast<int>(i);
      }
    } else if (feeds) {
      fed = last_ids_on_host();
    }
    // NOTE: throws, naming the chunk, for a fed sequence the last step drew nothing for. A row
    // stands in as token 0 for the checks.
    std::vector<EngineChunk> checked = resolve_sampled(chunks, fed, who);
    for (size_t i = 0; on_device && i < checked.size(); ++i) {
      if (chunks[i].tokens[0] == kSampledToken) checked[i].tokens[0] = 0;
    }
    validate(checked);
    for (StepPiece& p : pieces) {
      if (p.tokens[0] == kSampledToken)
        p.tokens[0] = on_device ? -1 - fed.at(p.seq) : fed.at(p.seq);
    }
    // NOTE: the slot no unfinished step still waits on.
    int slot = 0;
    for (const auto& s : started_) {
      if (!s->ready) slot = 1 - s->slot;
    }
    launch_graph_step(pieces, samplers, pipe_ids_[slot]);
    CUDA_CHECK(cudaEventRecord(pipe_done_[slot], stream_));
    started->slot = slot;
    last_on_device_ = true;
    device_fed_steps_ += on_device ? 1 : 0;
  } else {
    const std::vector<EngineChunk> resolved =
        feeds ? resolve_sampled(chunks, last_ids_on_host(), who) : chunks;
    started->draws = draw(resolved, samplers);  // clears last_on_device_
    started->ready = true;
  }
  started_.push_back(started);
  last_started_ = started;
}

std::vector<int> CudaEngine::finish_sample() {
  if (started_.empty()) throw std::logic_error("CudaEngine::finish_sample: no started step");
  const std::shared_ptr<Started> s = started_.front();
  started_.pop_front();
  collect(*s);
  return s->draws.reported();
}

}  // namespace moebench

#endif  // MOEBENCH_HAVE_CUDA
