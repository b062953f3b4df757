// The loopback server's stand-in tokenizer: a text is cut into pieces of up to 4 bytes that never
// split a UTF-8 sequence; token counts are piece counts. Also the deterministic logprob of a piece.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moebench::loopback {

std::vector<std::string> text_split_pieces(std::string_view text);
uint64_t text_fnv1a(std::string_view text);
// -(0.05 + (fnv1a(piece) % 1000) / 500.0): a test can recompute it.
double text_piece_logprob(std::string_view piece);
// Unicode code points in a UTF-8 text (OpenAI's text_offset unit).
int text_count_code_points(std::string_view text);

}  // namespace moebench::loopback
