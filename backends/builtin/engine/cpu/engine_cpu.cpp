// CpuEngine: the batched reference forward pass (embedding, decoder layers, final norm, lm_head)
// and the per-sequence caches. Rows of every chunk share each weight's product; attention runs
// per sequence over its own cache.
#include "backends/builtin/engine/cpu/engine_cpu.h"

#include <cblas.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "backends/builtin/engine/cpu/engine_cpu_layers.h"

namespace moebench {

struct CpuEngine::Impl {
  ModelConfig config;  // a copy: the engine never depends on the caller's config object
  ModelBinding bind;   // pointers into the caller's ModelWeights, which must outlive the engine
  AttnDims dims;
  RouterSpec router;
  RopeTable rope;
  std::map<int, SeqCache> seqs;
  int next_seq = 0;

  SeqCache& seq(int id, const char* what) {
    auto it = seqs.find(id);
    if (it == seqs.end()) {
      throw std::invalid_argument(std::string("CpuEngine::") + what + ": unknown sequence " +
                                  std::to_string(id));
    }
    return it->second;
  }

  void validate(const std::vector<EngineChunk>& chunks);
  void layer_forward(int l, const AttnBatch& b, std::vector<float>& x);
};

CpuEngine::CpuEngine(const ModelConfig& config, const ModelWeights& weights, int threads)
    : config_(config), impl_(std::make_unique<Impl>()) {
  config.validate();
  Impl& m = *impl_;
  m.config = config;
  m.bind = engine_bind_weights(config, weights);
  m.dims = attn_dims_of(config);
  if (config.any_moe()) m.router = moe_router_spec(config);
  m.rope = rope_init_table(config.rope, config.rope_dim());
  // NOTE: OpenBLAS's thread count is process-wide; the last engine constructed sets it.
  const int n = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  openblas_set_num_threads(std::max(n, 1));
}

CpuEngine::~CpuEngine() = default;

int CpuEngine::new_sequence() {
  const int id = impl_->next_seq++;
  SeqCache& c = impl_->seqs[id];
  c.k.resize(impl_->config.num_layers);
  c.v.resize(impl_->config.num_layers);
  return id;
}

void CpuEngine::free_sequence(int seq) {
  impl_->seq(seq, "free_sequence");
  impl_->seqs.erase(seq);
}

int CpuEngine::cache_len(int seq) const { return impl_->seq(seq, "cache_len").len; }

void CpuEngine::truncate(int seq, int len) {
  SeqCache& c = impl_->seq(seq, "truncate");
  if (len < 0 || len > c.len) {
    throw std::invalid_argument("CpuEngine::truncate: seq " + std::to_string(seq) + " len " +
                                std::to_string(len) + " outside [0, " + std::to_string(c.len) +
                                "]");
  }
  const AttnDims& d = impl_->dims;
  for (size_t l = 0; l < c.k.size(); ++l) {
    c.k[l].resize(static_cast<size_t>(len) * d.n_kv * d.k_dim);
    c.v[l].resize(static_cast<size_t>(len) * d.n_kv * d.v_dim);
  }
  c.len = len;
}

void CpuEngine::Impl::validate(const std::vector<EngineChunk>& chunks) {
  std::set<int> seen;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const EngineChunk& ch = chunks[i];
    const std::string where =
        "CpuEngine::forward: chunk " + std::to_string(i) + " (seq " + std::to_string(ch.seq) + ")";
    seq(ch.seq, "forward");
    if (!seen.insert(ch.seq).second) {
      throw std::invalid_argument(where + ": sequence appears twice in one batch");
    }
    if (ch.tokens.empty()) throw std::invalid_argument(where + ": no tokens");
    for (size_t j = 0; j < ch.tokens.size(); ++j) {
      if (ch.tokens[j] < 0 || ch.tokens[j] >= config.vocab_size) {
        throw std::invalid_argument(where + ": token[" + std::to_string(j) +
                                    "] = " + std::to_string(ch.tokens[j]) + " outside vocab [0, " +
                                    std::to_string(config.vocab_size) + ")");
      }
    }
  }
}

void CpuEngine::Impl::layer_forward(int l, const AttnBatch& b, std::vector<float>& x) {
  const int H = config.hidden_size, T = b.rows;
  const LayerWeights& L = bind.layers[l];
  std::vector<float> h(x.size());  // (T, H) normed input
  std::vector<float> y(x.size());  // (T, H) sublayer output
  ops_rmsnorm(x.data(), T, H, L.input_norm, config.rms_norm_eps, h.data());
  attention_forward(config, dims, L.attn, l, b, h.data(), y.data());
  for (size_t i = 0; i < x.size(); ++i) x[i] += y[i];
  ops_rmsnorm(x.data(), T, H, L.post_norm, config.rms_norm_eps, h.data());
  if (L.moe) {
    moe_forward(router, L.sparse, h.data(), T, H, y.data());
  } else {
    mlp_forward(L.dense, h.data(), T, y.data());
  }
  for (size_t i = 0; i < x.size(); ++i) x[i] += y[i];
}

std::vector<float> CpuEngine::forward(const std::vector<EngineChunk>& chunks) {
  Impl& m = *impl_;
  m.validate(chunks);
  if (chunks.empty()) return {};
  const int H = m.config.hidden_size, V = m.config.vocab_size, half = m.rope.dim / 2;
  AttnBatch b;
  std::vector<int> out_rows;  // rows whose logits are returned, in order
  for (const EngineChunk& ch : chunks) {
    const int n = static_cast<int>(ch.tokens.size());
    b.start.push_back(b.rows);
    b.count.push_back(n);
    b.caches.push_back(&m.seqs.at(ch.seq));
    for (int j = ch.all_logits ? 0 : n - 1; j < n; ++j) out_rows.push_back(b.rows + j);
    b.rows += n;
  }
  std::vector<float> cos(static_cast<size_t>(b.rows) * half);  // (T, rope_dim / 2)
  std::vector<float> sin(cos.size());                          // (T, rope_dim / 2)
  std::vector<float> x(static_cast<size_t>(b.rows) * H);       // (T, H) residual stream
  for (size_t c = 0; c < chunks.size(); ++c) {
    for (int j = 0; j < b.count[c]; ++j) {
      const int64_t r = b.start[c] + j;
      rope_angles(m.rope, b.caches[c]->len + j, cos.data() + r * half, sin.data() + r * half);
      std::copy_n(m.bind.embed + static_cast<int64_t>(chunks[c].tokens[j]) * H, H,
                  x.data() + r * H);
    }
  }
  b.cos = cos.data();
  b.sin = sin.data();
  for (int l = 0; l < m.config.num_layers; ++l) m.layer_forward(l, b, x);
  for (size_t c = 0; c < chunks.size(); ++c) b.caches[c]->len += b.count[c];

  const int R = static_cast<int>(out_rows.size());
  std::vector<float> hf(static_cast<size_t>(R) * H);  // (R, H) final-normed rows
  for (int i = 0; i < R; ++i) {
    ops_rmsnorm(x.data() + static_cast<int64_t>(out_rows[i]) * H, 1, H, m.bind.final_norm,
                m.config.rms_norm_eps, hf.data() + static_cast<int64_t>(i) * H);
  }
  std::vector<float> logits(static_cast<size_t>(R) * V);  // (R, V)
  ops_linear(hf.data(), R, m.bind.lm_head, logits.data());
  return logits;
}

}  // namespace moebench
