// CpuEngine forward pass on tiny random models of every family: cached decode and chunked
// prefill equal one full prefill, batching equals running alone, and bad input is refused.
#include <chrono>
#include <cstdio>
#include <map>

#include "backends/builtin/engine/cpu/engine_cpu.h"
#include "common/error.h"
#include "tests/catch.h"
#include "tests/engine/engine_test_util.h"

using moebench::CpuEngine;
using moebench::EngineChunk;
using moebench::ModelConfig;
using moebench::ModelWeights;
using moebench::Sampler;
using moebench::SamplingParams;
using namespace moebench::test;

namespace {

constexpr double kTol = 1e-5;

// Logits of every position of `tokens` from one prefill.
std::vector<float> full_prefill(CpuEngine& e, const std::vector<int>& tokens) {
  const int s = e.new_sequence();
  auto out = e.forward({EngineChunk{s, tokens, true}});
  e.free_sequence(s);
  return out;
}

void check_close(const std::vector<float>& got, const std::vector<float>& want,
                 const std::string& what) {
  REQUIRE(got.size() == want.size());
  const Diff d = compare(got.data(), want.data(), got.size());
  INFO(what << ": " << d.str());
  CHECK(d.worst <= kTol);
}

}  // namespace

TEST_CASE("incremental decode equals one full prefill, every family", "[engine]") {
  for (const TinyModel& m : tiny_models()) {
    SECTION(m.name) {
      const ModelWeights w = RandomWeights(m.config, 11).build();
      CpuEngine e(m.config, w, 1);
      const std::vector<int> tokens = random_tokens(12, m.config.vocab_size, 5);
      const std::vector<float> full = full_prefill(e, tokens);
      const int V = m.config.vocab_size;

      // Prefill 7 (last row only), then decode the other 5 one at a time.
      const int s = e.new_sequence();
      std::vector<float> inc = e.forward({EngineChunk{s, {tokens.begin(), tokens.begin() + 7}}});
      for (int i = 7; i < 12; ++i) {
        const auto row = e.forward({EngineChunk{s, {tokens[i]}}});
        inc.insert(inc.end(), row.begin(), row.end());
      }
      CHECK(e.cache_len(s) == 12);
      const std::vector<float> want(full.begin() + 6 * V, full.end());
      check_close(inc, want, m.name + " prefill 7 + 5 decodes");

      // Chunked prefill 5 + 7 with all_logits.
      const int s2 = e.new_sequence();
      std::vector<float> ch =
          e.forward({EngineChunk{s2, {tokens.begin(), tokens.begin() + 5}, true}});
      const auto rest = e.forward({EngineChunk{s2, {tokens.begin() + 5, tokens.end()}, true}});
      ch.insert(ch.end(), rest.begin(), rest.end());
      check_close(ch, full, m.name + " chunked prefill 5 + 7");
    }
  }
}

TEST_CASE("a batch of sequences equals each run alone, every family", "[engine]") {
  for (const TinyModel& m : tiny_models()) {
    SECTION(m.name) {
      const ModelWeights w = RandomWeights(m.config, 12).build();
      CpuEngine e(m.config, w, 1);
      const int V = m.config.vocab_size;
      const std::vector<std::vector<int>> seqs = {random_tokens(3, V, 1), random_tokens(9, V, 2),
                                                  random_tokens(5, V, 3)};
      std::vector<float> alone;
      for (const auto& t : seqs) {
        const auto l = full_prefill(e, t);
        alone.insert(alone.end(), l.begin(), l.end());
      }
      std::vector<EngineChunk> batch;
      for (const auto& t : seqs) batch.push_back({e.new_sequence(), t, true});
      check_close(e.forward(batch), alone, m.name + " prefill batch of 3");

      // Mixed step: seq 0 decodes one token while seq 1 prefills 4 more and seq 2 decodes.
      const std::vector<int> extra = random_tokens(4, V, 9);
      std::vector<float> want;
      for (int i = 0; i < 3; ++i) {
        std::vector<int> t = seqs[i];
        if (i == 1) {
          t.insert(t.end(), extra.begin(), extra.end());
        } else {
          t.push_back(extra[i]);
        }
        const auto l = full_prefill(e, t);
        want.insert(want.end(), l.end() - V, l.end());
      }
      const auto got = e.forward(
          {{batch[0].seq, {extra[0]}}, {batch[1].seq, extra}, {batch[2].seq, {extra[2]}}});
      check_close(got, want, m.name + " mixed decode + prefill");
    }
  }
}

TEST_CASE("truncate drops positions so a shared prefix can be reused", "[engine]") {
  const TinyModel m = tiny_models()[6];  // deepseek_v3: MLA + noaux router
  const ModelWeights w = RandomWeights(m.config, 13).build();
  CpuEngine e(m.config, w, 1);
  const std::vector<int> a = random_tokens(10, m.config.vocab_size, 1);
  std::vector<int> b(a.begin(), a.begin() + 6);
  b.push_back(7);
  b.push_back(8);
  const int s = e.new_sequence();
  e.forward({EngineChunk{s, a}});
  e.truncate(s, 6);
  CHECK(e.cache_len(s) == 6);
  const auto got = e.forward({EngineChunk{s, {7, 8}, true}});
  const auto full = full_prefill(e, b);
  check_close(got, {full.end() - 2 * m.config.vocab_size, full.end()}, "after truncate");
  CHECK_THROWS_AS(e.truncate(s, 9), std::invalid_argument);
}

namespace {

// Splits fused `experts.gate_up_proj` / `experts.down_proj` stacks into per-expert checkpoint
// tensors (mixtral: w1/w3/w2 under block_sparse_moe; others gate/up/down_proj).
ModelWeights split_fused(const ModelWeights& fused, bool mixtral) {
  ModelWeights split;
  for (const auto& [name, t] : fused.all()) {
    const auto gu = name.find(".experts.gate_up_proj");
    const auto dn = name.find(".experts.down_proj");
    if (gu == std::string::npos && dn == std::string::npos) {
      split.add(name, t);
      continue;
    }
    const int64_t E = t.shape[0], R = t.shape[1], C = t.shape[2];
    const std::string base = name.substr(0, gu != std::string::npos ? gu : dn);
    auto put = [&](const std::string& n, const float* p, int64_t rows) {
      moebench::Tensor x;
      x.shape = {rows, C};
      x.data.assign(p, p + rows * C);
      split.add(n, std::move(x));
    };
    for (int64_t e = 0; e < E; ++e) {
      const std::string q = base + ".experts." + std::to_string(e);
      const float* src = t.data.data() + e * R * C;
      if (gu != std::string::npos) {
        put(q + (mixtral ? ".w1.weight" : ".gate_proj.weight"), src, R / 2);
        put(q + (mixtral ? ".w3.weight" : ".up_proj.weight"), src + R / 2 * C, R / 2);
      } else {
        put(q + (mixtral ? ".w2.weight" : ".down_proj.weight"), src, R);
      }
    }
  }
  return split;
}

}  // namespace

TEST_CASE("fused transformers-v5 expert stacks give the same logits", "[engine]") {
  for (int which : {0, 6}) {  // mixtral and deepseek_v3
    const TinyModel m = tiny_models()[which];
    const bool mixtral = which == 0;
    // The fused builder names mixtral's block `mlp` (transformers v5); the split copy uses the
    // checkpoint names `block_sparse_moe.experts.M.w1`, so both binder paths are exercised.
    ModelWeights fused = RandomWeights(m.config, 21, true).build();
    const ModelWeights split = split_fused(fused, mixtral);
    if (mixtral) {
      ModelWeights renamed;
      for (const auto& [name, t] : fused.all()) {
        std::string n = name;
        const auto p = n.find("block_sparse_moe");
        if (p != std::string::npos) n.replace(p, 16, "mlp");
        renamed.add(n, t);
      }
      fused = std::move(renamed);
    }
    CpuEngine ef(m.config, fused, 1), es(m.config, split, 1);
    const auto t = random_tokens(6, m.config.vocab_size, 4);
    check_close(full_prefill(ef, t), full_prefill(es, t), m.name + " fused vs split");
  }
}

TEST_CASE("the test weights are exactly the loader's tensor table, every family", "[engine]") {
  // The engine binds these names; model_tensor_specs is what the loader accepts. Equal sets mean
  // every loadable checkpoint binds, and the engine reads every tensor the loader requires.
  for (const TinyModel& m : tiny_models()) {
    const ModelWeights w = RandomWeights(m.config, 1).build();
    std::map<std::string, std::vector<int64_t>> ours, specs;
    for (const auto& [name, t] : w.all()) ours[name] = t.shape;
    for (const auto& s : moebench::model_tensor_specs(m.config)) specs[s.name] = s.shape;
    for (const auto& [name, shape] : specs) {
      INFO(m.name << ": spec tensor " << name);
      CHECK(ours.count(name) == 1);
      if (ours.count(name)) CHECK(ours[name] == shape);
    }
    for (const auto& [name, shape] : ours) {
      INFO(m.name << ": engine tensor " << name);
      CHECK(specs.count(name) == 1);
    }
  }
}

TEST_CASE("bad weights and bad requests are refused with the values in the message", "[engine]") {
  const TinyModel m = tiny_models()[0];
  ModelWeights w = RandomWeights(m.config, 1).build();
  {
    ModelWeights bad;
    for (const auto& [name, t] : w.all()) {
      if (name == "model.layers.1.self_attn.k_proj.weight") {
        moebench::Tensor x;
        x.shape = {8, 32};
        x.data.assign(8 * 32, 0.0f);
        bad.add(name, std::move(x));
      } else {
        bad.add(name, t);
      }
    }
    try {
      CpuEngine e(m.config, bad, 1);
      FAIL("expected an error");
    } catch (const moebench::InputError& err) {
      const std::string msg = err.what();
      INFO(msg);
      CHECK(msg.find("model.layers.1.self_attn.k_proj.weight") != std::string::npos);
      CHECK(msg.find("expected [16, 32], got [8, 32]") != std::string::npos);
    }
  }
  CpuEngine e(m.config, w, 1);
  const int s = e.new_sequence();
  CHECK_THROWS_AS(e.forward({EngineChunk{s, {96}}}), std::invalid_argument);
  CHECK_THROWS_AS(e.forward({EngineChunk{s, {}}}), std::invalid_argument);
  CHECK_THROWS_AS(e.forward({EngineChunk{s, {1}}, EngineChunk{s, {2}}}), std::invalid_argument);
  CHECK_THROWS_AS(e.forward({EngineChunk{s + 1, {1}}}), std::invalid_argument);
  // A null or missing sampler is refused by name before the forward runs.
  Sampler greedy{SamplingParams{}};
  for (const std::vector<Sampler*>& bad :
       {std::vector<Sampler*>{nullptr}, std::vector<Sampler*>{&greedy, &greedy}}) {
    try {
      e.forward_sample({EngineChunk{s, {1}}}, bad);
      FAIL("expected an error");
    } catch (const std::invalid_argument& err) {
      const std::string msg = err.what();
      INFO(msg);
      CHECK((msg == "Engine::forward_sample: sampler 0 is null" ||
             msg == "Engine::forward_sample: 1 chunks but 2 samplers"));
    }
  }
  CHECK_THROWS_AS(e.start_sample({EngineChunk{s, {1}}}, {nullptr}), std::invalid_argument);
  CHECK(e.cache_len(s) == 0);  // refused batches leave the cache alone
  e.free_sequence(s);
  CHECK_THROWS_AS(e.cache_len(s), std::invalid_argument);
}

TEST_CASE("decode tokens/s of a tiny model (printed, not asserted)", "[engine][perf]") {
  ModelConfig c = tiny_base(moebench::ModelFamily::mixtral);
  c.vocab_size = 1024;
  c.hidden_size = 64;
  c.num_layers = 4;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 16;
  c.moe_intermediate_size = 128;
  c.n_routed_experts = 8;
  c.num_experts_per_tok = 2;
  c.moe_layer.assign(4, true);
  const ModelWeights w = RandomWeights(c, 3).build();
  for (int threads : {1, 0}) {
    CpuEngine e(c, w, threads);
    for (int batch : {1, 8}) {
      std::vector<EngineChunk> chunks;
      for (int b = 0; b < batch; ++b) {
        chunks.push_back({e.new_sequence(), random_tokens(16, c.vocab_size, b)});
      }
      e.forward(chunks);
      const int steps = 128;
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < steps; ++i) {
        for (auto& ch : chunks) ch.tokens = {(i * 31 + ch.seq) % c.vocab_size};
        e.forward(chunks);
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf(
          "cpu engine decode: hidden 64, 4 layers, 8 experts top-2, vocab 1024, threads %d, "
          "batch %d: %.0f tokens/s (%.3f ms/step)\n",
          threads, batch, steps * batch / s, 1e3 * s / steps);
      for (const auto& ch : chunks) e.free_sequence(ch.seq);
    }
  }
  SUCCEED();
}
