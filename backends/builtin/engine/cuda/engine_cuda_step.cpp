// CudaEngine's steps: the layout of one step (decode rows first, then prefill groups), its metadata
// written on the host and uploaded in one copy, and the forward entries (eager, or a decode step
// replayed from a CUDA graph), sampling on the GPU.
#ifdef MOEBENCH_HAVE_CUDA

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "backends/builtin/engine/cuda/engine_cuda_engine.h"
#include "kernels/cuda_check.h"
#include "kernels/sampling.h"

namespace moebench {

CudaEngine::Step CudaEngine::layout_step(const std::vector<StepPiece>& pieces, int pad_decode_to,
                                         int sample_rows) {
  Step st;
  // Decode rows first: single-token pieces, up to max_batch of them.
  std::vector<int> prefill;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i].tokens.size() == 1 && st.n_decode < options_.max_batch) {
      st.order.push_back(static_cast<int>(i));
      ++st.n_decode;
    } else {
      prefill.push_back(static_cast<int>(i));
    }
  }
  int width = 1;
  for (const StepPiece& p : pieces) {
    width = std::max<int>(width, static_cast<int>(div_up(p.past + p.tokens.size(), kv_.page_size)));
  }
  st.table_width = std::min(next_pow2(width), max_pages_per_seq_);
  const int n_decode_rows = std::max(st.n_decode, pad_decode_to);
  st.n_decode_rows = n_decode_rows;
  st.rows = n_decode_rows;
  // Prefill groups: consecutive pieces whose keys fit the gather buffer.
  StepGroup g;
  g.row0 = st.rows;
  g.first_chunk = n_decode_rows;
  g.order_at = st.n_decode;
  int chunk_index = n_decode_rows, cu_at = 0;
  for (int i : prefill) {
    const StepPiece& p = pieces[i];
    const int64_t keys = p.past + static_cast<int64_t>(p.tokens.size());
    if (keys > ws_.max_gather) {
      throw std::invalid_argument("CudaEngine: a prefill of " + std::to_string(keys) +
                                  " keys exceeds the gather workspace of " +
                                  std::to_string(ws_.max_gather));
    }
    if (g.n_chunks > 0 && g.keys + keys > ws_.max_gather) {
      g.cu_at = cu_at;
      cu_at += g.n_chunks + 1;
      st.groups.push_back(g);
      g = StepGroup();
      g.row0 = st.rows;
      g.first_chunk = chunk_index;
      g.order_at = static_cast<int>(st.order.size());
    }
    st.order.push_back(i);
    g.rows += static_cast<int64_t>(p.tokens.size());
    g.keys += keys;
    g.max_q = std::max<int>(g.max_q, static_cast<int>(p.tokens.size()));
    ++g.n_chunks;
    ++chunk_index;
    st.rows += static_cast<int64_t>(p.tokens.size());
  }
  if (g.n_chunks > 0) {
    g.cu_at = cu_at;
    st.groups.push_back(g);
  }
  for (const StepPiece& p : pieces) st.out_rows += p.out_rows;
  if (pad_decode_to > 0) st.out_rows = pad_decode_to;
  st.layout = meta_layout(st.rows, st.out_rows, chunk_index, st.table_width,
                          static_cast<int>(st.groups.size()), sample_rows);
  return st;
}

void CudaEngine::write_meta(const Step& st, const std::vector<StepPiece>& pieces, int pad_rows,
                            const std::vector<Sampler*>* samplers) {
  ensure_meta(st.layout.bytes);
  acquire_meta();
  std::memset(meta_host_, 0, st.layout.bytes);
  const std::vector<int64_t> row_of_piece = write_rows(st, pieces, pad_rows);
  write_cu(st, pieces);
  write_out_rows(st, pieces, pad_rows, row_of_piece);
  if (samplers != nullptr) write_sampling(st, pieces, pad_rows, *samplers);
}

// Rows and chunks in layout order; padded decode rows write nothing (slot -1).
std::vector<int64_t> CudaEngine::write_rows(const Step& st, const std::vector<StepPiece>& pieces,
                                            int pad_rows) {
  const MetaLayout& L = st.layout;
  auto i32 = [&](size_t off) { return reinterpret_cast<int32_t*>(meta_host_ + off); };
  int32_t* tokens = i32(L.tokens);
  int32_t* positions = i32(L.positions);
  int32_t* slots = i32(L.slots);
  int32_t* seq_lens = i32(L.seq_lens);
  int32_t* table = i32(L.block_table);
  const int W = st.table_width, P = kv_.page_size;
  int64_t row = 0;
  std::vector<int64_t> row_of_piece(pieces.size());
  int chunk = 0;
  for (size_t k = 0; k < st.order.size(); ++k) {
    if (static_cast<int>(k) == st.n_decode) {
      for (; chunk < pad_rows; ++chunk, ++row) {  // padding after the real decode rows
        slots[row] = -1;
        seq_lens[chunk] = 1;
      }
    }
    const StepPiece& p = pieces[st.order[k]];
    const Seq& s = find(p.seq, "forward");
    row_of_piece[st.order[k]] = row;
    for (size_t j = 0; j < p.tokens.size(); ++j, ++row) {
      const int pos = p.past + static_cast<int>(j);
      tokens[row] = p.tokens[j];
      positions[row] = pos;
      slots[row] = s.pages[pos / P] * P + pos % P;
    }
    seq_lens[chunk] = p.past + static_cast<int>(p.tokens.size());
    const int n_pages = static_cast<int>(div_up(seq_lens[chunk], P));
    for (int j = 0; j < n_pages; ++j) table[int64_t{chunk} * W + j] = s.pages[j];
    ++chunk;
  }
  for (; chunk < pad_rows; ++chunk, ++row) {  // a step of only padding (all rows padded)
    slots[row] = -1;
    seq_lens[chunk] = 1;
  }
  return row_of_piece;
}

// cu_q / cu_k per prefill group (group g's arrays start at first_chunk + g).
void CudaEngine::write_cu(const Step& st, const std::vector<StepPiece>& pieces) {
  int32_t* cu_q = reinterpret_cast<int32_t*>(meta_host_ + st.layout.cu_q);
  int32_t* cu_k = reinterpret_cast<int32_t*>(meta_host_ + st.layout.cu_k);
  for (const StepGroup& g : st.groups) {
    const int at = g.cu_at;
    int32_t q = 0, kk = 0;
    cu_q[at] = 0;
    cu_k[at] = 0;
    for (int c = 0; c < g.n_chunks; ++c) {
      const StepPiece& p = pieces[st.order[g.order_at + c]];
      q += static_cast<int32_t>(p.tokens.size());
      kk += p.past + static_cast<int32_t>(p.tokens.size());
      cu_q[at + c + 1] = q;
      cu_k[at + c + 1] = kk;
    }
  }
}

// Output rows in caller (piece) order.
void CudaEngine::write_out_rows(const Step& st, const std::vector<StepPiece>& pieces, int pad_rows,
                                const std::vector<int64_t>& row_of_piece) {
  int32_t* out = reinterpret_cast<int32_t*>(meta_host_ + st.layout.out_rows);
  int64_t o = 0;
  if (pad_rows > 0) {
    for (int r = 0; r < pad_rows; ++r) out[r] = r;
    return;
  }
  for (size_t i = 0; i < pieces.size(); ++i) {
    const StepPiece& p = pieces[i];
    const int64_t first = row_of_piece[i] + static_cast<int64_t>(p.tokens.size()) - p.out_rows;
    for (int r = 0; r < p.out_rows; ++r) out[o++] = static_cast<int32_t>(first + r);
  }
}

// Sampling parameters of each sampled row; padded rows are greedy.
void CudaEngine::write_sampling(const Step& st, const std::vector<StepPiece>& pieces, int pad_rows,
                                const std::vector<Sampler*>& samplers) {
  const MetaLayout& L = st.layout;
  float* temp = reinterpret_cast<float*>(meta_host_ + L.temperature);
  float* top_p = reinterpret_cast<float*>(meta_host_ + L.top_p);
  int32_t* top_k = reinterpret_cast<int32_t*>(meta_host_ + L.top_k);
  uint64_t* seed = reinterpret_cast<uint64_t*>(meta_host_ + L.seed);
  uint64_t* draw = reinterpret_cast<uint64_t*>(meta_host_ + L.draw);
  int64_t r = 0;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i].out_rows == 0) continue;
    Sampler* smp = samplers[pieces[i].chunk];
    const SamplingParams& sp = smp->params();
    temp[r] = static_cast<float>(sp.temperature);
    top_p[r] = static_cast<float>(sp.top_p);
    top_k[r] = sp.top_k;
    seed[r] = sp.seed;
    draw[r] = smp->next_draw();
    ++r;
  }
  for (; r < pad_rows; ++r) top_p[r] = 1.0f;  // padded rows: greedy
}

StepView CudaEngine::view_of(const Step& st) const {
  const MetaLayout& L = st.layout;
  const uint8_t* d = meta_dev_.data();
  auto i32 = [&](size_t off) { return reinterpret_cast<const int32_t*>(d + off); };
  StepView v;
  v.rows = st.rows;
  v.n_decode = st.n_decode_rows;
  v.table_width = st.table_width;
  v.tokens = i32(L.tokens);
  v.positions = i32(L.positions);
  v.slots = i32(L.slots);
  v.seq_lens = i32(L.seq_lens);
  v.block_table = i32(L.block_table);
  v.groups = st.groups;
  for (StepGroup& g : v.groups) {
    g.cu_q = i32(L.cu_q) + g.cu_at;
    g.cu_k = i32(L.cu_k) + g.cu_at;
  }
  return v;
}

void CudaEngine::sample_rows(const Step& st, int64_t n_rows, uint64_t* argmax) {
  const MetaLayout& L = st.layout;
  const uint8_t* d = meta_dev_.data();
  SampleArgs a;
  a.logits = ws_.logits;
  a.ld = config_.vocab_size;
  a.n_rows = n_rows;
  a.vocab = config_.vocab_size;
  a.temperature = reinterpret_cast<const float*>(d + L.temperature);
  a.top_p = reinterpret_cast<const float*>(d + L.top_p);
  a.top_k = reinterpret_cast<const int32_t*>(d + L.top_k);
  a.seed = reinterpret_cast<const uint64_t*>(d + L.seed);
  a.draw = reinterpret_cast<const uint64_t*>(d + L.draw);
  a.out = ws_.sampled;
  a.argmax = argmax;
  a.non_finite = ws_.non_finite;
  cuda_sample(a, stream_);
}

void CudaEngine::run_eager(const Step& st, const StepView& v) {
  upload_meta(st);
  run_body(body(), v);
}

// ----------------------------------------------------------------------------
// Forward entries

std::vector<float> CudaEngine::forward(const std::vector<EngineChunk>& chunks) {
  validate(chunks);
  const int64_t V = config_.vocab_size;
  std::vector<float> logits;
  for (const std::vector<StepPiece>& pieces :
       plan_steps(describe(chunks), options_.max_step_tokens)) {
    reserve_pages(pieces);
    const Step st = layout_step(pieces, 0, 0);
    write_meta(st, pieces, 0, nullptr);
    run_eager(st, view_of(st));
    const int32_t* rows = reinterpret_cast<const int32_t*>(meta_dev_.data() + st.layout.out_rows);
    for (int64_t r0 = 0; r0 < st.out_rows; r0 += ws_.max_logit_rows) {
      const int64_t n = std::min(ws_.max_logit_rows, st.out_rows - r0);
      run_logits(body(), rows + r0, n);
      const size_t at = logits.size();
      logits.resize(at + n * V);
      CUDA_CHECK(cudaMemcpyAsync(logits.data() + at, ws_.logits, n * V * sizeof(float),
                                 cudaMemcpyDeviceToHost, stream_));
      CUDA_CHECK(cudaStreamSynchronize(stream_));
    }
    CUDA_CHECK(cudaStreamSynchronize(stream_));
    commit(pieces);
  }
  return logits;
}

int CudaEngine::padded_batch(int batch) const {
  int padded = 1;
  while (padded < batch) padded = padded < 8 ? padded * 2 : padded + 8;
  return std::min(padded, options_.max_batch);
}

int CudaEngine::decode_step_kernels(int batch) const {
  const auto it = graph_kernels_.find(padded_batch(batch));
  return it == graph_kernels_.end() ? 0 : it->second;
}

namespace {

// The kernel nodes of a captured graph.
int graph_kernel_nodes(cudaGraph_t graph) {
  size_t n = 0;
  CUDA_CHECK(cudaGraphGetNodes(graph, nullptr, &n));
  std::vector<cudaGraphNode_t> nodes(n);
  CUDA_CHECK(cudaGraphGetNodes(graph, nodes.data(), &n));
  int kernels = 0;
  for (cudaGraphNode_t node : nodes) {
    cudaGraphNodeType type{};
    CUDA_CHECK(cudaGraphNodeGetType(node, &type));
    kernels += type == cudaGraphNodeTypeKernel ? 1 : 0;
  }
  return kernels;
}

}  // namespace

void CudaEngine::launch_graph_step(const std::vector<StepPiece>& pieces,
                                   const std::vector<Sampler*>& samplers, int32_t* ids_host) {
  const int B = static_cast<int>(pieces.size());
  const int padded = padded_batch(B);
  reserve_pages(pieces);
  const Step st = layout_step(pieces, padded, padded);
  write_meta(st, pieces, padded, &samplers);
  const StepView v = view_of(st);
  // NOTE: the metadata upload and the ids' copy stay outside the graph: their host buffers change
  // from step to step (two metadata buffers; the caller's ids buffer).
  upload_meta(st);
  const auto key = std::make_pair(padded, st.table_width);
  auto it = graphs_.find(key);
  if (it == graphs_.end()) {
    // NOTE: the step's launches run once eagerly first, so each kernel's first-use setup (module
    // load, shared-memory opt-in: kernel_setup.cuh asks for it outside capture) happens before the
    // capture; the graph then writes the same cache rows with the same values.
    run_body(body(), v);
    cudaGraph_t graph = nullptr;
    CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
    try {
      run_body(body(), v);
      // NOTE: a padded decode step's output rows are its rows in order (write_out_rows).
      uint64_t* argmax = run_logits(body(), nullptr, padded, true);
      sample_rows(st, padded, argmax);
    } catch (...) {
      // A launcher's refusal mid-capture: end the capture so the stream (and the steps still in
      // flight on it) stay usable.
      cudaStreamEndCapture(stream_, &graph);
      if (graph != nullptr) cudaGraphDestroy(graph);
      throw;
    }
    CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
    // The captured graph is destroyed however its instantiation ends.
    const std::unique_ptr<CUgraph_st, decltype(&cudaGraphDestroy)> owned(graph, cudaGraphDestroy);
    Graph g;
    graph_kernels_[padded] = graph_kernel_nodes(graph);
    CUDA_CHECK(cudaGraphInstantiate(&g.exec, graph, 0));
    it = graphs_.emplace(key, g).first;
  }
  CUDA_CHECK(cudaGraphLaunch(it->second.exec, stream_));
  copy_draws(ids_host, B);
  commit(pieces);
}

void CudaEngine::copy_draws(int32_t* host, int64_t n) {
  CUDA_CHECK(
      cudaMemcpyAsync(host, ws_.sampled, n * sizeof(int32_t), cudaMemcpyDeviceToHost, stream_));
  CUDA_CHECK(cudaMemcpyAsync(host + n, ws_.non_finite, n * sizeof(int32_t), cudaMemcpyDeviceToHost,
                             stream_));
}

void CudaEngine::append_draws(const int32_t* host, int64_t n, Draws& out) {
  out.ids.insert(out.ids.end(), host, host + n);
  for (int64_t i = 0; i < n; ++i) out.non_finite.push_back(host[n + i] != 0 ? 1 : 0);
}

std::vector<int> CudaEngine::Draws::reported() const {
  std::vector<int> out = ids;
  for (size_t i = 0; i < out.size(); ++i) {
    if (non_finite[i] != 0) out[i] = kNonFiniteDraw;
  }
  return out;
}

CudaEngine::Draws CudaEngine::decode_graph_step(const std::vector<StepPiece>& pieces,
                                                const std::vector<Sampler*>& samplers) {
  launch_graph_step(pieces, samplers, sampled_host_);
  CUDA_CHECK(cudaStreamSynchronize(stream_));
  Draws d;
  append_draws(sampled_host_, static_cast<int64_t>(pieces.size()), d);
  return d;
}

std::vector<std::vector<StepPiece>> CudaEngine::plan_sampled(
    const std::vector<EngineChunk>& chunks) const {
  std::vector<EngineChunk> last_only = chunks;
  for (EngineChunk& ch : last_only) ch.all_logits = false;
  return plan_steps(describe(last_only), options_.max_step_tokens);
}

std::vector<int> CudaEngine::forward_sample(const std::vector<EngineChunk>& chunks,
                                            const std::vector<Sampler*>& samplers) {
  return draw(chunks, samplers).reported();
}

CudaEngine::Draws CudaEngine::draw(const std::vector<EngineChunk>& chunks,
                                   const std::vector<Sampler*>& samplers) {
  validate(chunks);
  check_samplers(chunks.size(), samplers, "CudaEngine::forward_sample");
  last_on_device_ = false;  // ws_.sampled is drawn over here
  Draws out;
  out.ids.assign(chunks.size(), -1);
  out.non_finite.assign(chunks.size(), 0);
  for (const std::vector<StepPiece>& pieces : plan_sampled(chunks)) {
    const bool decode = std::all_of(pieces.begin(), pieces.end(),
                                    [](const StepPiece& p) { return p.tokens.size() == 1; });
    if (options_.cuda_graphs && decode && static_cast<int>(pieces.size()) <= options_.max_batch) {
      const Draws d = decode_graph_step(pieces, samplers);
      for (size_t i = 0; i < pieces.size(); ++i) {
        out.ids[pieces[i].chunk] = d.ids[i];
        out.non_finite[pieces[i].chunk] = d.non_finite[i];
      }
      continue;
    }
    reserve_pages(pieces);
    int n_sample = 0;
    for (const StepPiece& p : pieces) n_sample += p.out_rows > 0 ? 1 : 0;
    const Step sampled = layout_step(pieces, 0, n_sample);
    write_meta(sampled, pieces, 0, &samplers);
    run_eager(sampled, view_of(sampled));
    const int32_t* rows =
        reinterpret_cast<const int32_t*>(meta_dev_.data() + sampled.layout.out_rows);
    // NOTE: one row per sampled piece; a step never has more than max_logit_rows of them
    // unless many prompts finish at once, so sample in blocks.
    Draws d;
    for (int64_t r0 = 0; r0 < sampled.out_rows; r0 += ws_.max_logit_rows) {
      const int64_t n = std::min(ws_.max_logit_rows, sampled.out_rows - r0);
      uint64_t* argmax = run_logits(body(), rows + r0, n, true);
      Step block = sampled;
      block.layout.temperature += r0 * sizeof(float);
      block.layout.top_p += r0 * sizeof(float);
      block.layout.top_k += r0 * sizeof(int32_t);
      block.layout.seed += r0 * sizeof(uint64_t);
      block.layout.draw += r0 * sizeof(uint64_t);
      sample_rows(block, n, argmax);
      copy_draws(sampled_host_, n);
      CUDA_CHECK(cudaStreamSynchronize(stream_));
      append_draws(sampled_host_, n, d);
    }
    commit(pieces);
    size_t k = 0;
    for (const StepPiece& p : pieces) {
      if (p.out_rows == 0) continue;
      out.ids[p.chunk] = d.ids[k];
      out.non_finite[p.chunk] = d.non_finite[k++];
    }
  }
  return out;
}

}  // namespace moebench

#endif  // MOEBENCH_HAVE_CUDA
