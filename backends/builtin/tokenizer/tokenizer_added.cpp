// Added-token matching: a byte trie over the tokens' contents, leftmost-longest, with HF's
// single_word, lstrip and rstrip rules (AddedVocabulary::find_matches).
#include "backends/builtin/tokenizer/tokenizer_internal.h"

namespace moebench::tokenizer_detail {
namespace {

// The code point that ends just before `pos`.
char32_t utf8_prev(std::string_view s, size_t pos) {
  size_t start = pos - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  return utf8_next(s, &start);
}

// Start of the whitespace run that ends at `pos` (HF: regex `\s*$` on text[..pos]).
size_t whitespace_run_start(std::string_view s, size_t pos) {
  while (pos > 0) {
    size_t start = pos - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t next = start;
    if (!unicode_is_whitespace(utf8_next(s, &next))) break;
    pos = start;
  }
  return pos;
}

// End of the whitespace run that starts at `pos` (HF: regex `^\s*` on text[pos..]).
size_t whitespace_run_end(std::string_view s, size_t pos) {
  while (pos < s.size()) {
    size_t next = pos;
    if (!unicode_is_whitespace(utf8_next(s, &next))) break;
    pos = next;
  }
  return pos;
}

}  // namespace

void AddedTokenMatcher::build(const std::vector<const AddedToken*>& tokens) {
  tokens_ = tokens;
  trie_.assign(1, Node{});
  first_byte_.fill(false);
  for (size_t t = 0; t < tokens_.size(); ++t) {
    const std::string& content = tokens_[t]->content;
    if (content.empty()) continue;
    first_byte_[static_cast<unsigned char>(content[0])] = true;
    int node = 0;
    for (char c : content) {
      auto key = static_cast<unsigned char>(c);
      auto it = trie_[node].next.find(key);
      if (it == trie_[node].next.end()) {
        trie_.push_back(Node{});
        int child = static_cast<int>(trie_.size()) - 1;
        trie_[node].next.emplace(key, child);
        node = child;
      } else {
        node = it->second;
      }
    }
    // Two tokens with the same content: the first listed wins.
    if (trie_[node].token < 0) trie_[node].token = static_cast<int>(t);
  }
}

bool AddedTokenMatcher::longest_at(std::string_view text, size_t pos, int* token,
                                   size_t* len) const {
  int node = 0;
  *token = -1;
  for (size_t i = pos; i < text.size(); ++i) {
    auto it = trie_[node].next.find(static_cast<unsigned char>(text[i]));
    if (it == trie_[node].next.end()) break;
    node = it->second;
    if (trie_[node].token >= 0) {
      *token = trie_[node].token;
      *len = i + 1 - pos;
    }
  }
  return *token >= 0;
}

std::vector<Segment> AddedTokenMatcher::split(std::string_view text) const {
  std::vector<Segment> out;
  size_t start_offset = 0;  // end of the last emitted segment
  size_t pos = 0;           // where the next match may start
  while (pos < text.size()) {
    int t = -1;
    size_t len = 0;
    if (!first_byte_[static_cast<unsigned char>(text[pos])] || !longest_at(text, pos, &t, &len)) {
      ++pos;
      continue;
    }
    size_t start = pos;
    size_t stop = pos + len;
    pos = stop;  // aho-corasick resumes after the match, kept or not
    const AddedToken& tok = *tokens_[t];
    if (tok.single_word) {
      bool word_before = start > 0 && unicode_is_word_char(utf8_prev(text, start));
      size_t next = stop;
      bool word_after = stop < text.size() && unicode_is_word_char(utf8_next(text, &next));
      if (word_before || word_after) continue;
    }
    if (tok.lstrip) start = std::max(whitespace_run_start(text, start), start_offset);
    if (tok.rstrip) stop = whitespace_run_end(text, stop);
    if (start_offset < start) out.push_back({start_offset, start, -1});
    out.push_back({start, stop, t});
    start_offset = stop;
    pos = std::max(pos, stop);
  }
  if (start_offset < text.size()) out.push_back({start_offset, text.size(), -1});
  return out;
}

}  // namespace moebench::tokenizer_detail
