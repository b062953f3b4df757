// serve_choice_tokens and the Completions and Chat logprobs objects built from it.
#include "backends/builtin/serve/server_logprobs.h"

namespace moebench {
namespace {

using json = nlohmann::json;

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Streaming decode's pieces, one per id, the leftover bytes of an unfinished character with the
// last (as generation's text gets them).
std::vector<std::string> stream_texts(const Tokenizer& tok, const std::vector<int>& ids,
                                      bool skip_special) {
  TokenStreamDecoder decoder(tok, skip_special);
  std::vector<std::string> out;
  for (int id : ids) out.push_back(decoder.push(id));
  if (!out.empty()) out.back() += decoder.flush();
  return out;
}

json byte_values(const std::string& bytes) {
  json out = json::array();
  for (unsigned char c : bytes) out.push_back(static_cast<int>(c));
  return out;
}

}  // namespace

std::string ChoiceTokens::prompt_text() const {
  std::string s;
  for (size_t i = 0; i < prompt_len; ++i) s += texts[i];
  return s;
}

ChoiceTokens serve_choice_tokens(const Tokenizer& tok, const std::vector<int>& prompt,
                                 const GenerateResult& result) {
  ChoiceTokens t;
  t.ids = prompt;
  t.prompt_len = prompt.size();
  // NOTE: the prompt is echoed with its special tokens; generated text skips them (generate does).
  t.texts = stream_texts(tok, prompt, false);
  t.bytes = tok.token_bytes(prompt, false);
  const std::vector<std::string> gen = stream_texts(tok, result.tokens, true);
  std::vector<int> kept;
  size_t used = 0;
  for (size_t i = 0; i < gen.size() && used < result.text.size(); ++i) {
    const std::string piece = gen[i].substr(0, result.text.size() - used);
    used += piece.size();
    kept.push_back(result.tokens[i]);
    t.texts.push_back(piece);
  }
  t.ids.insert(t.ids.end(), kept.begin(), kept.end());
  const std::vector<std::string> kept_bytes = tok.token_bytes(kept, true);
  t.bytes.insert(t.bytes.end(), kept_bytes.begin(), kept_bytes.end());
  return t;
}

json serve_completion_logprobs(const Tokenizer& tok, const ChoiceTokens& t, const TokenLogprobs& lp,
                               bool echo) {
  json tokens = json::array(), values = json::array(), tops = json::array(),
       offsets = json::array();
  size_t offset = 0;
  for (size_t i = 0; i < t.ids.size(); offset += code_points(t.texts[i]), ++i) {
    if (!echo && i < t.prompt_len) continue;
    tokens.push_back(t.texts[i]);
    offsets.push_back(offset);
    if (i == 0) {  // nothing before the first token
      values.push_back(nullptr);
      tops.push_back(nullptr);
      continue;
    }
    values.push_back(lp.logprob[i]);
    json top = json::object();
    for (const auto& [id, value] : lp.top[i]) top[tok.decode({id}, false)] = value;
    top[tok.decode({t.ids[i]}, false)] = lp.logprob[i];
    tops.push_back(std::move(top));
  }
  return {{"tokens", tokens},
          {"token_logprobs", values},
          {"top_logprobs", tops},
          {"text_offset", offsets}};
}

json serve_chat_logprobs(const Tokenizer& tok, const ChoiceTokens& t, const TokenLogprobs& lp) {
  json content = json::array();
  for (size_t i = std::max<size_t>(t.prompt_len, 1); i < t.ids.size(); ++i) {
    json top = json::array();
    for (const auto& [id, value] : lp.top[i]) {
      const std::string bytes = tok.token_bytes({id}, false)[0];
      top.push_back({{"token", bytes}, {"logprob", value}, {"bytes", byte_values(bytes)}});
    }
    // NOTE: `token` may hold part of a character; the response's JSON writer shows such bytes
    // as U+FFFD, `bytes` keeps them.
    content.push_back({{"token", t.bytes[i]},
                       {"logprob", lp.logprob[i]},
                       {"bytes", byte_values(t.bytes[i])},
                       {"top_logprobs", top}});
  }
  return {{"content", content}};
}

}  // namespace moebench
