// tokenizer_make_bytelevel_bpe: learns byte-level BPE merges greedily by pair frequency and writes
// an HF tokenizer.json (DeepSeek-V3's pre-tokenizer, ByteLevel decoder) of an exact vocab size.
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "backends/builtin/tokenizer/tokenizer_internal.h"
#include "common/error.h"

namespace moebench {
namespace {

using tokenizer_detail::json;

// DeepSeek-V3's pre-tokenizer: digits in threes, CJK runs, then a GPT-4-like word split, all
// before the byte-level mapping (which then needs no regex of its own).
json deepseek_pre_tokenizer() {
  auto split = [](const char* regex) {
    return json{{"type", "Split"},
                {"pattern", {{"Regex", regex}}},
                {"behavior", "Isolated"},
                {"invert", false}};
  };
  return json{
      {"type", "Sequence"},
      {"pretokenizers",
       {split("\\p{N}{1,3}"),
        split("[\xE4\xB8\x80-\xE9\xBE\xA5\xE3\x81\x80-\xE3\x82\x9F\xE3\x82\xA0-\xE3\x83\xBF]+"),
        split("[!\"#$%&'()*+,\\-./"
              ":;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}"
              "\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"),
        json{{"type", "ByteLevel"},
             {"add_prefix_space", false},
             {"trim_offsets", true},
             {"use_regex", false}}}}};
}

struct PairEntry {
  long count;
  int a;
  int b;
  // Highest count first; ties go to the smaller ids, so the result is deterministic.
  bool operator<(const PairEntry& o) const {
    if (count != o.count) return count < o.count;
    if (a != o.a) return a > o.a;
    return b > o.b;
  }
};

uint64_t pair_key(int a, int b) {
  return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b);
}

// The BPE learner: words as symbol-id sequences with counts; pair counts updated per merge only
// in the words that hold the pair.
class BpeLearner {
 public:
  BpeLearner(std::vector<std::vector<int>> words, std::vector<long> counts,
             std::vector<std::string>* tokens)
      : words_(std::move(words)), counts_(std::move(counts)), tokens_(tokens) {
    for (int w = 0; w < static_cast<int>(words_.size()); ++w) add_pairs(w, +1);
    for (const auto& [key, count] : pair_count_) {
      heap_.push({count, static_cast<int>(key >> 32), static_cast<int>(key & 0xFFFFFFFF)});
    }
  }

  // Learns one merge; false when no pair occurs any more.
  bool step(std::vector<std::pair<int, int>>* merges,
            std::unordered_map<std::string, int>* token_ids) {
    while (!heap_.empty()) {
      PairEntry top = heap_.top();
      heap_.pop();
      auto it = pair_count_.find(pair_key(top.a, top.b));
      long current = it == pair_count_.end() ? 0 : it->second;
      if (current != top.count) {  // stale: counts only fall, so requeue with the current count
        if (current > 0) heap_.push({current, top.a, top.b});
        continue;
      }
      if (current <= 0) return false;
      std::string merged = (*tokens_)[top.a] + (*tokens_)[top.b];
      auto [tid, inserted] = token_ids->emplace(merged, static_cast<int>(tokens_->size()));
      if (inserted) tokens_->push_back(merged);
      merges->emplace_back(top.a, top.b);
      apply(top.a, top.b, tid->second);
      return true;
    }
    return false;
  }

 private:
  void add_pairs(int w, long sign) {
    const std::vector<int>& s = words_[w];
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      uint64_t key = pair_key(s[i], s[i + 1]);
      pair_count_[key] += sign * counts_[w];
      if (sign > 0) where_[key].push_back(w);
    }
  }

  void apply(int a, int b, int merged) {
    uint64_t key = pair_key(a, b);
    std::vector<int> holders = std::move(where_[key]);
    where_.erase(key);
    std::unordered_set<int> done;
    std::unordered_set<uint64_t> touched;
    for (int w : holders) {
      if (!done.insert(w).second) continue;
      std::vector<int>& s = words_[w];
      std::vector<int> next;
      next.reserve(s.size());
      bool changed = false;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          next.push_back(merged);
          ++i;
          changed = true;
        } else {
          next.push_back(s[i]);
        }
      }
      if (!changed) continue;
      add_pairs(w, -1);
      s = std::move(next);
      add_pairs(w, +1);
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        if (s[i] == merged || s[i + 1] == merged) touched.insert(pair_key(s[i], s[i + 1]));
      }
    }
    for (uint64_t k : touched) {
      long c = pair_count_[k];
      if (c > 0) heap_.push({c, static_cast<int>(k >> 32), static_cast<int>(k & 0xFFFFFFFF)});
    }
  }

  std::vector<std::vector<int>> words_;
  std::vector<long> counts_;
  std::vector<std::string>* tokens_;
  std::unordered_map<uint64_t, long> pair_count_;
  std::unordered_map<uint64_t, std::vector<int>> where_;
  std::priority_queue<PairEntry> heap_;
};

// Pre-tokenizes the training text and counts the distinct words as byte sequences.
void count_words(std::string_view text, const json& pre_tokenizer,
                 std::vector<std::vector<int>>* words, std::vector<long>* counts) {
  auto pre = tokenizer_detail::pre_tokenizer_from_json(pre_tokenizer, "<builtin>", "pre_tokenizer");
  std::string valid = tokenizer_detail::utf8_lossy(text);
  std::vector<tokenizer_detail::Piece> pieces{{valid, true}};
  pre->pre_tokenize(&pieces);
  std::unordered_map<std::string, int> index;
  for (const auto& p : pieces) {
    auto [it, inserted] = index.emplace(p.text, static_cast<int>(words->size()));
    if (inserted) {
      std::vector<int> syms;
      for (size_t i = 0; i < p.text.size();) {
        syms.push_back(
            tokenizer_detail::bytelevel_char_to_byte(tokenizer_detail::utf8_next(p.text, &i)));
      }
      words->push_back(std::move(syms));
      counts->push_back(0);
    }
    ++(*counts)[it->second];
  }
}

// When the text runs out of pairs: merges of existing tokens into new strings, in id order, so
// the vocabulary still reaches its size (such tokens are valid, merely never produced).
void fill_merges(size_t target, std::vector<std::string>* tokens,
                 std::unordered_map<std::string, int>* token_ids,
                 std::vector<std::pair<int, int>>* merges) {
  for (size_t a = 0; a < tokens->size() && tokens->size() < target; ++a) {
    for (size_t b = 0; b < 256 && tokens->size() < target; ++b) {
      std::string merged = (*tokens)[a] + (*tokens)[b];
      if (token_ids->count(merged)) continue;
      token_ids->emplace(merged, static_cast<int>(tokens->size()));
      tokens->push_back(merged);
      merges->emplace_back(static_cast<int>(a), static_cast<int>(b));
    }
  }
}

// The tokenizer.json of a learned byte-level BPE: model ids 0..tokens-1, special tokens after.
json bytelevel_tokenizer_json(const std::vector<std::string>& tokens,
                              const std::vector<std::pair<int, int>>& merges,
                              const std::vector<std::string>& special_tokens, const json& pre) {
  json vocab = json::object();
  for (size_t id = 0; id < tokens.size(); ++id) vocab[tokens[id]] = id;
  json merge_list = json::array();
  for (auto [a, b] : merges) merge_list.push_back({tokens[a], tokens[b]});
  json added = json::array();
  for (size_t i = 0; i < special_tokens.size(); ++i) {
    added.push_back({{"id", tokens.size() + i},
                     {"content", special_tokens[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  json byte_level = {{"type", "ByteLevel"},
                     {"add_prefix_space", false},
                     {"trim_offsets", false},
                     {"use_regex", false}};
  return json{{"version", "1.0"},
              {"truncation", nullptr},
              {"padding", nullptr},
              {"added_tokens", added},
              {"normalizer", nullptr},
              {"pre_tokenizer", pre},
              {"post_processor", byte_level},
              {"decoder", byte_level},
              {"model",
               {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", nullptr},
                {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr},
                {"fuse_unk", false},
                {"byte_fallback", false},
                {"ignore_merges", false},
                {"vocab", vocab},
                {"merges", merge_list}}}};
}

}  // namespace

nlohmann::json tokenizer_make_bytelevel_bpe(int vocab_size,
                                            const std::vector<std::string>& special_tokens,
                                            std::string_view training_text) {
  const std::string where = "tokenizer_make_bytelevel_bpe";
  std::unordered_set<std::string> unique(special_tokens.begin(), special_tokens.end());
  if (unique.size() != special_tokens.size() || unique.count("")) {
    throw input_error(where, "special tokens must be distinct and non-empty");
  }
  if (vocab_size < 256 + static_cast<long>(special_tokens.size())) {
    throw input_error(where, "vocab_size " + std::to_string(vocab_size) +
                                 " is below 256 byte tokens + " +
                                 std::to_string(special_tokens.size()) + " special tokens");
  }
  const size_t n_model = vocab_size - special_tokens.size();  // ids below the special tokens
  json pre = deepseek_pre_tokenizer();
  std::vector<std::string> tokens;  // id -> byte-level token text
  std::unordered_map<std::string, int> token_ids;
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(tokenizer_detail::bytelevel_byte_to_char()[b]);
    token_ids.emplace(tokens.back(), b);
  }
  std::vector<std::vector<int>> words;
  std::vector<long> counts;
  count_words(training_text, pre, &words, &counts);
  std::vector<std::pair<int, int>> merges;
  BpeLearner learner(std::move(words), std::move(counts), &tokens);
  while (tokens.size() < n_model && learner.step(&merges, &token_ids)) {
  }
  fill_merges(n_model, &tokens, &token_ids, &merges);

  return bytelevel_tokenizer_json(tokens, merges, special_tokens, pre);
}

}  // namespace moebench
