// The CUDA engine's host-side step planning (engine_cuda_plan.h), which the [gpu] engine tests
// reach only on a GPU: chunks split into steps of at most max_tokens tokens with one piece per
// sequence per step, every token once and in order, the logits rows each chunk asked for, and the
// packed metadata arrays aligned, disjoint and inside the buffer.
#include <map>
#include <random>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "backends/builtin/engine/cuda/engine_cuda_plan.h"
#include "tests/catch.h"

using namespace moebench;

TEST_CASE("cuda plan_steps: every token once, in order, within each step's limits", "[engine]") {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    const int max_tokens = 1 + static_cast<int>(rng() % 40);
    const int n_chunks = 1 + static_cast<int>(rng() % 8);
    std::vector<std::vector<int>> tokens(n_chunks);
    std::vector<ChunkDesc> chunks(n_chunks);
    for (int c = 0; c < n_chunks; ++c) {
      tokens[c].resize(1 + rng() % 90);
      for (int& t : tokens[c]) t = static_cast<int>(rng() % 1000);
      chunks[c] = {c * 7, static_cast<int>(rng() % 50), &tokens[c], rng() % 2 == 0};
    }
    CAPTURE(trial, max_tokens, n_chunks);
    const auto steps = plan_steps(chunks, max_tokens);
    std::vector<std::vector<int>> seen(n_chunks);
    std::vector<int> out_rows(n_chunks, 0), samples(n_chunks, 0);
    for (const std::vector<StepPiece>& step : steps) {
      REQUIRE_FALSE(step.empty());
      int total = 0, last_chunk = -1;
      std::map<int, int> per_seq;
      for (const StepPiece& p : step) {
        REQUIRE(p.chunk > last_chunk);  // chunk order; one piece per chunk, so per sequence
        last_chunk = p.chunk;
        REQUIRE(++per_seq[p.seq] == 1);
        REQUIRE(p.seq == chunks[p.chunk].seq);
        REQUIRE(p.past == chunks[p.chunk].past + static_cast<int>(seen[p.chunk].size()));
        seen[p.chunk].insert(seen[p.chunk].end(), p.tokens.begin(), p.tokens.end());
        const bool last = seen[p.chunk].size() == tokens[p.chunk].size();
        REQUIRE(p.sample == last);
        REQUIRE(p.out_rows ==
                (chunks[p.chunk].all_logits ? static_cast<int>(p.tokens.size()) : (last ? 1 : 0)));
        out_rows[p.chunk] += p.out_rows;
        samples[p.chunk] += p.sample ? 1 : 0;
        total += static_cast<int>(p.tokens.size());
      }
      REQUIRE(total <= max_tokens);
    }
    for (int c = 0; c < n_chunks; ++c) {
      REQUIRE(seen[c] == tokens[c]);
      REQUIRE(out_rows[c] == (chunks[c].all_logits ? static_cast<int>(tokens[c].size()) : 1));
      REQUIRE(samples[c] == 1);
    }
  }
  // Two chunks of one sequence never share a step; a full step starts the next.
  const std::vector<int> a(5, 1), b(3, 2);
  const auto same_seq = plan_steps({{4, 0, &a, false}, {4, 5, &b, false}}, 100);
  REQUIRE(same_seq.size() == 2);
  CHECK(same_seq[1][0].past == 5);
  CHECK(plan_steps({{1, 0, &a, false}, {2, 0, &b, false}}, 5).size() == 2);
  CHECK_THROWS_AS(plan_steps({{1, 0, &a, false}}, 0), std::invalid_argument);
}

TEST_CASE("cuda meta_layout: arrays 16-byte aligned, disjoint, inside the buffer", "[engine]") {
  for (const auto& [rows, out_rows, chunks, width, groups, sample] :
       std::vector<std::tuple<int64_t, int64_t, int, int, int, int>>{{1, 1, 1, 1, 0, 1},
                                                                     {3, 2, 3, 5, 1, 0},
                                                                     {64, 64, 64, 8, 0, 64},
                                                                     {4096, 7, 9, 64, 3, 7}}) {
    CAPTURE(rows, out_rows, chunks, width, groups, sample);
    const MetaLayout m = meta_layout(rows, out_rows, chunks, width, groups, sample);
    const size_t i32 = 4, u64 = 8;
    const std::vector<std::pair<size_t, size_t>> arrays = {
        {m.tokens, rows * i32},
        {m.positions, rows * i32},
        {m.slots, rows * i32},
        {m.out_rows, out_rows * i32},
        {m.seq_lens, chunks * i32},
        {m.block_table, size_t(chunks) * width * i32},
        {m.cu_q, (chunks + groups) * i32},
        {m.cu_k, (chunks + groups) * i32},
        {m.temperature, sample * i32},
        {m.top_p, sample * i32},
        {m.top_k, sample * i32},
        {m.seed, sample * u64},
        {m.draw, sample * u64}};
    for (size_t i = 0; i < arrays.size(); ++i) {
      CAPTURE(i);
      CHECK(arrays[i].first % 16 == 0);
      CHECK(arrays[i].first + arrays[i].second <= m.bytes);
      if (i + 1 < arrays.size()) CHECK(arrays[i].first + arrays[i].second <= arrays[i + 1].first);
    }
  }
}
