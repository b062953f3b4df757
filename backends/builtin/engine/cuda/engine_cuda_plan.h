// Step planning of the CUDA engine (host only, no CUDA): a forward's chunks become pieces of at
// most max_step_tokens per step, one piece per sequence per step, and each step's rows are laid
// out decode-first with its metadata packed into one buffer (one host-to-device copy).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace moebench {

// A slice of one caller chunk that runs in one step.
struct StepPiece {
  int chunk = 0;  // caller chunk index
  int seq = 0;    // engine sequence id
  int past = 0;   // cached positions before this piece
  std::vector<int> tokens;
  int out_rows = 0;     // logits rows this piece emits: 0, 1 (its last) or tokens.size()
  bool sample = false;  // the last piece of its chunk (forward_sample draws from its last row)
};

// Splits chunks (seq, past length, tokens, all_logits) into steps: each step holds at most
// max_tokens tokens and at most one piece per sequence; a chunk longer than max_tokens spreads
// over consecutive steps. Piece order follows chunk order.
struct ChunkDesc {
  int seq = 0;
  int past = 0;
  const std::vector<int>* tokens = nullptr;
  bool all_logits = false;
};
std::vector<std::vector<StepPiece>> plan_steps(const std::vector<ChunkDesc>& chunks,
                                               int max_tokens);

// Byte offsets of one step's metadata arrays inside the packed buffer (16-byte aligned).
struct MetaLayout {
  size_t tokens = 0, positions = 0, slots = 0, out_rows = 0;  // int32 (T), (T), (T), (R)
  size_t seq_lens = 0, block_table = 0;                       // int32 (B), (B * W)
  size_t cu_q = 0, cu_k = 0;                                  // int32 (B + groups)
  size_t temperature = 0, top_p = 0, top_k = 0;               // f32, f32, int32 (S)
  size_t seed = 0, draw = 0;                                  // uint64 (S)
  size_t bytes = 0;
};
MetaLayout meta_layout(int64_t rows, int64_t out_rows, int chunks, int table_width, int groups,
                       int sample_rows);

}  // namespace moebench
