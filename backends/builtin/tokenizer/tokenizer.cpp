// Tokenizer: loads an HF tokenizer.json (and transformers' BOS/EOS override from the
// tokenizer_config.json beside it), encodes through added tokens, normalizer, pre-tokenizer and
// BPE, adds the post-processor's special tokens, and decodes.

#include "backends/builtin/tokenizer/tokenizer_internal.h"
#include "common/error.h"
#include "common/json_file.h"

namespace moebench {
namespace tokenizer_detail {

void field_error(const std::string& file, const std::string& field, const std::string& what) {
  throw input_error(file, "field '" + field + "': " + what);
}

const json& field_get(const json& j, const char* key, const std::string& file,
                      const std::string& field) {
  if (!j.is_object() || !j.contains(key)) field_error(file, field + "." + key, "missing");
  return j[key];
}

std::string field_string(const json& j, const char* key, const std::string& file,
                         const std::string& field, const char* fallback) {
  if (fallback && (!j.contains(key) || j[key].is_null())) return fallback;
  const json& v = field_get(j, key, file, field);
  if (!v.is_string()) field_error(file, field + "." + key, "expected a string");
  return v.get<std::string>();
}

bool field_bool(const json& j, const char* key, const std::string& file, const std::string& field,
                bool fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_boolean()) field_error(file, field + "." + key, "expected true or false");
  return j[key].get<bool>();
}

int field_token_id(const json& v, const std::string& file, const std::string& field) {
  if (!v.is_number_integer() || v.get<long>() < 0 || v.get<long>() > kMaxTokenId) {
    field_error(file, field,
                "expected a token id (an integer from 0 to " + std::to_string(kMaxTokenId) + ")");
  }
  return v.get<int>();
}

namespace {

// Ids of one TemplateProcessing piece list around "$A" (the single-sequence template).
SpecialWrap template_wrap(const json& j, const std::string& file, const std::string& field) {
  SpecialWrap wrap;
  const json& single = field_get(j, "single", file, field);
  const json& specials = j.contains("special_tokens") ? j["special_tokens"] : json::object();
  if (!single.is_array()) field_error(file, field + ".single", "expected an array");
  bool seen_sequence = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const json& item = single[i];
    std::string at = field + ".single[" + std::to_string(i) + "]";
    if (item.contains("Sequence")) {
      seen_sequence = true;
      continue;
    }
    if (!item.contains("SpecialToken")) field_error(file, at, "expected Sequence or SpecialToken");
    std::string name = field_string(item["SpecialToken"], "id", file, at + ".SpecialToken");
    if (!specials.contains(name)) {
      field_error(file, field + ".special_tokens", "no entry for '" + name + "'");
    }
    const std::string ids_field = field + ".special_tokens." + name + ".ids";
    const json& ids = field_get(specials[name], "ids", file, field + ".special_tokens." + name);
    if (!ids.is_array()) field_error(file, ids_field, "expected an array of token ids");
    for (const json& id : ids) {
      (seen_sequence ? wrap.suffix : wrap.prefix).push_back(field_token_id(id, file, ids_field));
    }
  }
  return wrap;
}

// What the post_processor adds with add_special; ByteLevel and null add nothing.
SpecialWrap post_processor_wrap(const json& j, const std::string& file, const std::string& field) {
  if (j.is_null()) return {};
  std::string type = field_string(j, "type", file, field);
  if (type == "ByteLevel") return {};
  if (type == "TemplateProcessing") return template_wrap(j, file, field);
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    const json& cls = field_get(j, "cls", file, field);
    const json& sep = field_get(j, "sep", file, field);
    for (const auto& [key, v] : {std::pair{"cls", &cls}, std::pair{"sep", &sep}}) {
      if (!v->is_array() || v->size() != 2) {
        field_error(file, field + "." + key, "expected [token, id]");
      }
    }
    return SpecialWrap{{field_token_id(cls[1], file, field + ".cls[1]")},
                       {field_token_id(sep[1], file, field + ".sep[1]")}};
  }
  if (type == "Sequence") {
    SpecialWrap all;
    const json& list = field_get(j, "processors", file, field);
    for (size_t i = 0; i < list.size(); ++i) {
      // A later processor wraps what the earlier ones produced.
      SpecialWrap w =
          post_processor_wrap(list[i], file, field + ".processors[" + std::to_string(i) + "]");
      all.prefix.insert(all.prefix.begin(), w.prefix.begin(), w.prefix.end());
      all.suffix.insert(all.suffix.end(), w.suffix.begin(), w.suffix.end());
    }
    return all;
  }
  field_error(file, field + ".type", "unsupported post_processor type '" + type + "'");
}

std::vector<AddedToken> parse_added_tokens(const json& j, const std::string& file) {
  std::vector<AddedToken> out;
  if (j.is_null()) return out;
  if (!j.is_array()) field_error(file, "added_tokens", "expected an array");
  for (size_t i = 0; i < j.size(); ++i) {
    std::string field = "added_tokens[" + std::to_string(i) + "]";
    const json& t = j[i];
    AddedToken a;
    const json& id = field_get(t, "id", file, field);
    a.id = field_token_id(id, file, field + ".id");
    a.content = field_string(t, "content", file, field);
    if (a.content.empty()) field_error(file, field + ".content", "empty token");
    a.special = field_bool(t, "special", file, field, false);
    a.lstrip = field_bool(t, "lstrip", file, field, false);
    a.rstrip = field_bool(t, "rstrip", file, field, false);
    a.single_word = field_bool(t, "single_word", file, field, false);
    a.normalized = field_bool(t, "normalized", file, field, !a.special);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace
}  // namespace tokenizer_detail

using namespace tokenizer_detail;

// NOTE: HF's Rust tokenizer alone would add no BOS for DeepSeek-V3; transformers does.
void Tokenizer::Impl::apply_llama_config(const std::filesystem::path& config_path) {
  std::error_code ec;
  if (!std::filesystem::exists(config_path, ec)) return;
  const json c = json_read_file(config_path, config_path.string(), "cannot open", "invalid JSON");
  if (!c.is_object()) throw input_error(config_path.string(), "invalid JSON");
  const std::string file = config_path.string();
  // NOTE: no json::value(): a field of another type would throw type_error, an internal error.
  auto string_field = [&](const json& obj, const char* key, const std::string& field) {
    if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return std::string();
    if (!obj[key].is_string()) field_error(file, field, "expected a string");
    return obj[key].get<std::string>();
  };
  auto bool_field = [&](const char* key, bool fallback) {
    if (!c.contains(key) || c[key].is_null()) return fallback;
    if (!c[key].is_boolean()) field_error(file, key, "expected true or false");
    return c[key].get<bool>();
  };
  std::string cls = string_field(c, "tokenizer_class", "tokenizer_class");
  if (cls.rfind("LlamaTokenizer", 0) != 0) return;
  auto token_id = [&](const char* key) {
    const json& v = c.contains(key) ? c[key] : json();
    std::string content = v.is_object() ? string_field(v, "content", std::string(key) + ".content")
                                        : string_field(c, key, key);
    auto it = added_ids.find(content);
    if (it != added_ids.end()) return it->second;
    int id = model->vocab().count(content) ? model->vocab().at(content) : -1;
    if (id < 0) field_error(config_path.string(), key, "token '" + content + "' not in vocab");
    return id;
  };
  wrap = {};
  if (bool_field("add_bos_token", true)) wrap.prefix.push_back(token_id("bos_token"));
  if (bool_field("add_eos_token", false)) wrap.suffix.push_back(token_id("eos_token"));
}

void Tokenizer::Impl::build_id_tables() {
  int max_id = model->max_id();
  for (const AddedToken& a : added) max_id = std::max(max_id, a.id);
  id_to_token.assign(max_id + 1, std::string());
  special.assign(max_id + 1, 0);
  for (const auto& [token, id] : model->vocab()) id_to_token[id] = token;
  std::vector<const AddedToken*> raw, normalized;
  normalized_added.clear();
  for (const AddedToken& a : added) {
    id_to_token[a.id] = a.content;
    special[a.id] = a.special ? 1 : 0;
    added_ids[a.content] = a.id;
    if (!a.normalized || !normalizer) {
      raw.push_back(&a);
      continue;
    }
    // HF matches these in the normalized text, by their normalized content.
    normalized_added.push_back(a);
    normalizer->normalize(&normalized_added.back().content);
  }
  for (const AddedToken& a : normalized_added) normalized.push_back(&a);
  raw_matcher.build(raw);
  normalized_matcher.build(normalized);
}

void Tokenizer::Impl::encode_plain(std::string_view text, bool at_start,
                                   std::vector<int>* out) const {
  std::string norm(text);
  if (normalizer) normalizer->normalize(&norm);
  if (norm.empty()) return;  // as HF and transformers.js: no pre-tokenizer prefix on nothing
  std::vector<Segment> segments;
  if (normalized_matcher.empty()) {
    segments.push_back({0, norm.size(), -1});
  } else {
    segments = normalized_matcher.split(norm);
  }
  std::vector<Piece> pieces;
  for (const Segment& s : segments) {
    if (s.token >= 0) {
      out->push_back(normalized_matcher.token(s.token).id);
      continue;
    }
    pieces.assign(1, Piece{norm.substr(s.begin, s.end - s.begin), at_start && s.begin == 0});
    if (pre_tokenizer) pre_tokenizer->pre_tokenize(&pieces);
    for (const Piece& p : pieces) model->encode_word(p.text, out);
  }
}

std::string Tokenizer::Impl::decode_bytes(const std::vector<int>& ids, bool skip_special,
                                          bool raw) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= id_to_token.size()) continue;
    if (id_to_token[id].empty() || (skip_special && special[id])) continue;
    tokens.push_back(id_to_token[id]);
  }
  if (!decoder) {
    std::string joined;
    for (size_t i = 0; i < tokens.size(); ++i) joined += (i ? " " : "") + tokens[i];
    return joined;
  }
  decoder->decode_chain(&tokens, raw);
  std::string joined;
  for (const std::string& t : tokens) joined += t;
  return joined;
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Tokenizer Tokenizer::load(const std::filesystem::path& tokenizer_json) {
  const json j = json_read_file(tokenizer_json, tokenizer_json.string(), "cannot open",
                                "invalid JSON", JsonDuplicateKeys::keep_last);
  Tokenizer tok = from_json(j, tokenizer_json.string());
  tok.impl_->apply_llama_config(tokenizer_json.parent_path() / "tokenizer_config.json");
  return tok;
}

Tokenizer Tokenizer::from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw input_error(where, "expected a JSON object");
  auto impl = std::make_unique<Impl>();
  impl->where = where;
  if (!j.contains("model") || j["model"].is_null()) field_error(where, "model", "missing");
  const json& model = j["model"];
  std::string type = model.is_object() && model.contains("type")
                         ? field_string(model, "type", where, "model")
                         : "BPE";  // old files leave the type out
  if (type != "BPE") field_error(where, "model.type", "unsupported model type '" + type + "'");
  auto get = [&](const char* key) { return j.contains(key) ? j[key] : json(); };
  try {
    impl->model = std::make_unique<BpeModel>(model, where);
    impl->normalizer = normalizer_from_json(get("normalizer"), where, "normalizer");
    impl->pre_tokenizer = pre_tokenizer_from_json(get("pre_tokenizer"), where, "pre_tokenizer");
    impl->decoder = decoder_from_json(get("decoder"), where, "decoder");
    impl->wrap = post_processor_wrap(get("post_processor"), where, "post_processor");
    impl->added = parse_added_tokens(get("added_tokens"), where);
  } catch (const nlohmann::json::exception& e) {
    // A value of the wrong type deep in a field the parsers read without checking each one.
    throw input_error(where, std::string("malformed tokenizer.json: ") + e.what());
  }
  impl->build_id_tables();
  return Tokenizer(std::move(impl));
}

std::vector<int> Tokenizer::encode(std::string_view text, bool add_special) const {
  std::string repaired;
  if (!utf8_valid(text)) {  // HF takes only valid text; repair as Python's errors="replace"
    repaired = utf8_lossy(text);
    text = repaired;
  }
  std::vector<int> out;
  if (add_special) out = impl_->wrap.prefix;
  if (impl_->raw_matcher.empty()) {
    impl_->encode_plain(text, true, &out);
  } else {
    for (const Segment& s : impl_->raw_matcher.split(text)) {
      if (s.token >= 0) {
        out.push_back(impl_->raw_matcher.token(s.token).id);
      } else {
        impl_->encode_plain(text.substr(s.begin, s.end - s.begin), s.begin == 0, &out);
      }
    }
  }
  if (add_special) out.insert(out.end(), impl_->wrap.suffix.begin(), impl_->wrap.suffix.end());
  return out;
}

std::string Tokenizer::decode(const std::vector<int>& ids, bool skip_special) const {
  return utf8_lossy(impl_->decode_bytes(ids, skip_special, /*raw=*/false));
}

int Tokenizer::vocab_size() const { return static_cast<int>(impl_->id_to_token.size()); }

int Tokenizer::token_to_id(std::string_view token) const {
  std::string key(token);
  auto it = impl_->added_ids.find(key);
  if (it != impl_->added_ids.end()) return it->second;
  auto jt = impl_->model->vocab().find(key);
  return jt == impl_->model->vocab().end() ? -1 : jt->second;
}

std::string Tokenizer::id_to_token(int id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->id_to_token.size()) return "";
  return impl_->id_to_token[id];
}

bool Tokenizer::is_special(int id) const {
  return id >= 0 && static_cast<size_t>(id) < impl_->special.size() && impl_->special[id];
}

}  // namespace moebench
