// The BPE model of tokenizer.json: vocab, merges (both serializations), byte fallback, unk and
// fuse_unk, ignore_merges, and the merge loop (HF word.rs: a min-heap of (rank, position)).
#include <bit>
#include <mutex>
#include <queue>

#include "backends/builtin/tokenizer/tokenizer_internal.h"

namespace moebench::tokenizer_detail {

void MergeTable::reserve(size_t n) {
  size_t cap = 16;
  while (cap < 2 * n) cap *= 2;  // load factor <= 0.5 keeps probe runs short
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  shift_ = 64 - std::countr_zero(cap);
  size_ = 0;
}

void MergeTable::insert(uint64_t key, Merge m) {
  if (2 * (size_ + 1) > slots_.size()) {
    std::vector<Slot> old = std::move(slots_);
    reserve(std::max<size_t>(size_ + 1, old.size()));
    for (const Slot& s : old) {
      if (s.key != kEmpty) insert(s.key, s.merge);
    }
  }
  for (size_t i = slot_of(key);; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.key == key) {
      s.merge = m;
      return;
    }
    if (s.key == kEmpty) {
      s = Slot{key, m};
      ++size_;
      return;
    }
  }
}

BpeModel::BpeModel(const json& model, const std::string& file) {
  const std::string field = "model";
  const json& vocab = field_get(model, "vocab", file, field);
  if (!vocab.is_object()) field_error(file, "model.vocab", "expected an object of token: id");
  vocab_.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    int id = field_token_id(it.value(), file, "model.vocab['" + it.key() + "']");
    vocab_.emplace(it.key(), id);
    max_id_ = std::max(max_id_, id);
  }
  bmp_char_ids_.assign(0x10000, -1);
  for (const auto& [token, id] : vocab_) {
    size_t pos = 0;
    char32_t cp = utf8_next(token, &pos);
    if (pos == token.size() && cp < 0x10000 && cp != 0xFFFD) bmp_char_ids_[cp] = id;
  }
  auto optional_string = [&](const char* key) {
    return model.contains(key) && !model[key].is_null() ? field_string(model, key, file, field)
                                                        : std::string();
  };
  unk_token_ = optional_string("unk_token");
  continuing_subword_prefix_ = optional_string("continuing_subword_prefix");
  end_of_word_suffix_ = optional_string("end_of_word_suffix");
  fuse_unk_ = field_bool(model, "fuse_unk", file, field, false);
  byte_fallback_ = field_bool(model, "byte_fallback", file, field, false);
  ignore_merges_ = field_bool(model, "ignore_merges", file, field, false);
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      model["dropout"].get<double>() > 0) {
    field_error(file, "model.dropout", "BPE dropout is not supported (inference only)");
  }
  if (!unk_token_.empty()) {
    auto it = vocab_.find(unk_token_);
    if (it == vocab_.end())
      field_error(file, "model.unk_token", "'" + unk_token_ + "' not in vocab");
    unk_id_ = it->second;
  }
  byte_ids_.fill(-1);
  if (byte_fallback_) {
    for (int b = 0; b < 256; ++b) {
      auto it = vocab_.find(byte_fallback_token(static_cast<unsigned char>(b)));
      if (it != vocab_.end()) byte_ids_[b] = it->second;
    }
  }
  load_merges(field_get(model, "merges", file, field), file);
}

void BpeModel::load_merges(const json& merges, const std::string& file) {
  if (!merges.is_array()) field_error(file, "model.merges", "expected an array");
  merges_.reserve(merges.size());
  std::string a, b;
  for (size_t i = 0; i < merges.size(); ++i) {
    const json& m = merges[i];
    std::string field = "model.merges[" + std::to_string(i) + "]";
    if (m.is_string()) {  // "a b" (tokenizers < 0.20)
      const std::string& s = m.get_ref<const std::string&>();
      size_t space = s.find(' ');
      if (space == std::string::npos) field_error(file, field, "expected \"a b\", got '" + s + "'");
      a = s.substr(0, space);
      b = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      a = m[0].get<std::string>();
      b = m[1].get<std::string>();
    } else {
      field_error(file, field, "expected \"a b\" or [\"a\", \"b\"]");
    }
    auto ia = vocab_.find(a);
    auto ib = vocab_.find(b);
    auto ic = vocab_.find(a + b);
    if (ia == vocab_.end() || ib == vocab_.end() || ic == vocab_.end()) {
      field_error(file, field, "merge '" + a + "' + '" + b + "' uses a token missing from vocab");
    }
    // A repeated pair keeps its last rank, as HF's HashMap collect does.
    merges_.insert(pair_key(ia->second, ib->second),
                   MergeTable::Merge{static_cast<int>(i), ic->second});
  }
}

// The vocab id of a token string, -1 when absent; single BMP characters go through a table.
int BpeModel::char_id(std::string_view ch) const {
  size_t pos = 0;
  char32_t cp = utf8_next(ch, &pos);
  if (pos == ch.size() && cp < 0x10000 && cp != 0xFFFD) return bmp_char_ids_[cp];
  auto it = vocab_.find(std::string(ch));
  return it == vocab_.end() ? -1 : it->second;
}

// One symbol per character (HF BPE::merge_word): the char's vocab id, else its <0xAB> byte
// tokens, else unk (runs fused when fuse_unk). With no unk token such a char is dropped, where
// HF would fail the whole encode.
void BpeModel::initial_symbols(std::string_view word, std::vector<int>* syms) const {
  int pending_unk = -1;
  std::string buf;
  for (size_t i = 0; i < word.size();) {
    size_t start = i;
    utf8_next(word, &i);
    std::string_view ch = word.substr(start, i - start);
    std::string_view key = ch;
    if ((!continuing_subword_prefix_.empty() && start > 0) ||
        (!end_of_word_suffix_.empty() && i == word.size())) {
      buf.clear();
      if (start > 0) buf += continuing_subword_prefix_;
      buf += ch;
      if (i == word.size()) buf += end_of_word_suffix_;
      key = buf;
    }
    if (int id = char_id(key); id >= 0) {
      if (pending_unk >= 0) syms->push_back(pending_unk);
      pending_unk = -1;
      syms->push_back(id);
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (char c : key) all = all && byte_ids_[static_cast<unsigned char>(c)] >= 0;
      if (all) {
        if (pending_unk >= 0) syms->push_back(pending_unk);
        pending_unk = -1;
        for (char c : key) syms->push_back(byte_ids_[static_cast<unsigned char>(c)]);
        continue;
      }
    }
    if (unk_id_ < 0) continue;
    if (pending_unk >= 0 && !fuse_unk_) syms->push_back(pending_unk);
    pending_unk = unk_id_;
  }
  if (pending_unk >= 0) syms->push_back(pending_unk);
}

void BpeModel::merge_all(std::vector<int>* syms) const {
  const int n = static_cast<int>(syms->size());
  if (n < 2) return;
  struct Node {
    int id;
    int prev;
    int next;
    bool alive;
  };
  std::vector<Node> nodes(n);
  for (int i = 0; i < n; ++i) nodes[i] = {(*syms)[i], i - 1, i + 1 < n ? i + 1 : -1, true};
  // (rank, position): lowest rank first, then leftmost, as HF's Merge ordering.
  using Entry = std::pair<int, int>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue;
  auto push_pair = [&](int pos) {
    int next = nodes[pos].next;
    if (next < 0) return;
    if (const auto* m = merges_.find(pair_key(nodes[pos].id, nodes[next].id))) {
      queue.emplace(m->rank, pos);
    }
  };
  for (int i = 0; i + 1 < n; ++i) push_pair(i);
  while (!queue.empty()) {
    auto [rank, pos] = queue.top();
    queue.pop();
    Node& left = nodes[pos];
    if (!left.alive || left.next < 0) continue;
    Node& right = nodes[left.next];
    const auto* m = merges_.find(pair_key(left.id, right.id));
    if (!m || m->rank != rank) continue;  // stale entry
    left.id = m->new_id;
    right.alive = false;
    left.next = right.next;
    if (left.next >= 0) nodes[left.next].prev = pos;
    if (left.prev >= 0) push_pair(left.prev);
    push_pair(pos);
  }
  syms->clear();
  for (int i = 0; i >= 0; i = nodes[i].next) syms->push_back(nodes[i].id);
}

void BpeModel::encode_word(std::string_view word, std::vector<int>* out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    auto it = vocab_.find(std::string(word));
    if (it != vocab_.end()) {
      out->push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() <= kCacheMaxBytes;
  if (cacheable) {
    std::shared_lock lock(cache_mutex_);
    auto it = cache_.find(std::string(word));
    if (it != cache_.end()) {
      out->insert(out->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int> syms;
  syms.reserve(word.size());
  initial_symbols(word, &syms);
  merge_all(&syms);
  out->insert(out->end(), syms.begin(), syms.end());
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < kCacheWords)
      cache_.emplace(word, std::move(syms));  // full: HF stops adding
  }
}

}  // namespace moebench::tokenizer_detail
