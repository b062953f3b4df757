// Piece splitting, FNV-1a and the piece logprob formula of the loopback server.
#include "tests/loopback/server/text_pieces.h"

namespace moebench::loopback {

namespace {

// Bytes of the UTF-8 sequence that starts with `lead` (1 for a stray continuation byte).
size_t utf8_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

std::vector<std::string> text_split_pieces(std::string_view text) {
  constexpr size_t kPieceBytes = 4;
  std::vector<std::string> pieces;
  std::string current;
  for (size_t i = 0; i < text.size();) {
    size_t len = std::min(utf8_length(static_cast<unsigned char>(text[i])), text.size() - i);
    if (!current.empty() && current.size() + len > kPieceBytes) {
      pieces.push_back(std::move(current));
      current.clear();
    }
    current.append(text.substr(i, len));
    i += len;
  }
  if (!current.empty()) pieces.push_back(std::move(current));
  return pieces;
}

uint64_t text_fnv1a(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

double text_piece_logprob(std::string_view piece) {
  return -(0.05 + static_cast<double>(text_fnv1a(piece) % 1000) / 500.0);
}

int text_count_code_points(std::string_view text) {
  int n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace moebench::loopback
