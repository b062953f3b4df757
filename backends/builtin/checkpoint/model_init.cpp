// model_init_write: a random-weight checkpoint in HF layout. Weights are streamed tensor by tensor
// (chunks of 4M values) so the 31 GB v2-lite preset needs no more than ~100 MB of memory; a
// dummy checkpoint writes only dummy_weights.json, from which loaders generate the same values.
#include "backends/builtin/checkpoint/model_init.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "backends/builtin/checkpoint/model_init_internal.h"
#include "backends/builtin/checkpoint/model_weights.h"
#include "backends/builtin/checkpoint/random_init.h"
#include "backends/builtin/checkpoint/safetensors.h"
#include "backends/builtin/tokenizer/chat_format.h"
#include "backends/builtin/tokenizer/tokenizer.h"
#include "common/error.h"
#include "common/thinking.h"

namespace moebench {

namespace {

using nlohmann::json;

constexpr int64_t kChunk = int64_t{1} << 22;

void write_random_weights(const std::filesystem::path& path, const ModelConfig& config,
                          StDtype dtype, uint64_t seed, double std_dev) {
  const std::vector<TensorSpec> specs = model_tensor_specs(config);
  std::vector<StTensorHeader> headers;
  for (const auto& s : specs) headers.push_back({s.name, dtype, s.shape});
  // "format": "pt" is what transformers' from_pretrained checks for.
  SafetensorsWriter w(path, headers, {{"format", "pt"}});
  std::vector<float> buf;
  for (const auto& s : specs) {
    int64_t n = 1;
    for (int64_t d : s.shape) n *= d;
    const uint64_t key = init_tensor_key(seed, s.name);
    for (int64_t start = 0; start < n; start += kChunk) {
      const int64_t m = std::min(kChunk, n - start);
      buf.resize(static_cast<size_t>(m));
      fill_parallel(init_kind(s.name), key, std_dev, start, m, buf.data());
      const std::string bytes = st_encode(buf, dtype);
      w.write(bytes.data(), bytes.size());
    }
  }
  w.finish();
}

// Every file under dir except *.gz, in path order, concatenated.
std::string read_training_text(const std::filesystem::path& dir) {
  if (dir.empty() || !std::filesystem::is_directory(dir)) {
    throw input_error(dir.empty() ? "model init" : dir.string(),
                      "the tokenizer training text directory does not exist");
  }
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() != ".gz") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::string text;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    text += ss.str();
  }
  if (text.empty()) throw input_error(dir.string(), "no tokenizer training text found");
  return text;
}

int token_id(const json& tokenizer, const std::string& content) {
  for (const json& t : tokenizer.value("added_tokens", json::array())) {
    if (t.value("content", "") == content) return t.value("id", -1);
  }
  throw std::runtime_error("model init: the generated tokenizer lacks special token '" + content +
                           "'");
}

void write_json(const std::filesystem::path& p, const json& j) {
  std::ofstream out(p, std::ios::binary);
  out << j.dump(2) << "\n";
  if (!out) throw input_error(p.string(), "write failed");
}

void prepare_out_dir(const ModelInitOptions& o) {
  namespace fs = std::filesystem;
  if (o.out_dir.empty()) throw input_error("model init", "no output directory given");
  if (fs::exists(o.out_dir)) {
    if (!fs::is_directory(o.out_dir)) throw input_error(o.out_dir.string(), "is not a directory");
    if (!fs::is_empty(o.out_dir) && !o.force) {
      throw input_error(o.out_dir.string(), "exists and is not empty (use --force to overwrite)");
    }
    // A stale index would shadow the new model.safetensors, and stale weights of the other kind
    // make a dummy checkpoint ambiguous (model_weights_for_each rejects both at once).
    std::error_code ec;
    fs::remove(o.out_dir / "model.safetensors.index.json", ec);
    fs::remove(o.out_dir / (o.weights == "dummy" ? "model.safetensors" : kDummyWeightsFile), ec);
  }
  fs::create_directories(o.out_dir);
}

// Tokenizer files; sets bos/eos ids in cfg from where the tokenizer placed the special tokens.
json make_tokenizer(const ModelInitOptions& o, json& cfg, const FamilyTokens& ft) {
  const int vocab = cfg.value("vocab_size", 0);
  json tok =
      tokenizer_make_bytelevel_bpe(vocab, ft.specials, read_training_text(o.training_text_dir));
  cfg["bos_token_id"] = ft.bos.empty() ? json(nullptr) : json(token_id(tok, ft.bos));
  json eos = json::array();
  for (const auto& e : ft.eos) eos.push_back(token_id(tok, e));
  cfg["eos_token_id"] = eos.size() == 1 ? eos[0] : eos;
  return tok;
}

json tokenizer_config(const FamilyTokens& ft, int max_len) {
  return {{"add_bos_token", ft.add_bos},
          {"add_eos_token", false},
          {"bos_token", ft.bos.empty() ? json(nullptr) : json(ft.bos)},
          {"eos_token", ft.eos.front()},
          {"pad_token", ft.pad},
          {"unk_token", nullptr},
          {"chat_template", chat_format_template(ft.chat)},
          {"model_max_length", max_len},
          {"clean_up_tokenization_spaces", false},
          {"tokenizer_class", "PreTrainedTokenizerFast"}};
}

uint64_t dir_bytes(const std::filesystem::path& dir) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

}  // namespace

namespace {
constexpr const char* kDeepSeekUser = "<｜User｜>";
constexpr const char* kDeepSeekAssistant = "<｜Assistant｜>";
}  // namespace

FamilyTokens family_tokens(ModelFamily f) {
  switch (f) {
    case ModelFamily::deepseek_v3:
      return {
          {"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", kDeepSeekUser, kDeepSeekAssistant},
          "<｜begin▁of▁sentence｜>",
          {"<｜end▁of▁sentence｜>"},
          "<｜end▁of▁sentence｜>",
          true,
          ChatFormatKind::deepseek_v3};
    case ModelFamily::deepseek_v2:  // V2(-Lite)-Chat: plain "User: " turns, no turn tokens
      return {{"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"},
              "<｜begin▁of▁sentence｜>",
              {"<｜end▁of▁sentence｜>"},
              "<｜end▁of▁sentence｜>",
              true,
              ChatFormatKind::deepseek_v2};
    case ModelFamily::qwen3_moe:
    case ModelFamily::qwen2_moe:
    case ModelFamily::olmoe:  // NOTE: OLMoE-Instruct's own template is not among ours: ChatML
      return {{"<|endoftext|>", "<|im_start|>", "<|im_end|>"},
              "",
              {"<|im_end|>", "<|endoftext|>"},
              "<|endoftext|>",
              false,
              ChatFormatKind::chatml};
    case ModelFamily::mixtral:
      return {{"<s>", "</s>", "[INST]", "[/INST]"},
              "<s>",
              {"</s>"},
              "</s>",
              true,
              ChatFormatKind::mistral};
  }
  return {};
}

namespace {

// The special tokens `ft.chat` writes that the family's default format lacks: V3's turn tokens (a
// V2.5-like DeepSeek-V2), R1's and V3.1's thinking tags.
void add_chat_specials(FamilyTokens* ft) {
  auto add = [ft](const char* token) {
    if (std::find(ft->specials.begin(), ft->specials.end(), token) == ft->specials.end())
      ft->specials.push_back(token);
  };
  const ChatFormatKind k = ft->chat;
  const bool v3_turns = k == ChatFormatKind::deepseek_v3 || k == ChatFormatKind::deepseek_r1 ||
                        k == ChatFormatKind::deepseek_v3_1;
  if (v3_turns) {
    add(kDeepSeekUser);
    add(kDeepSeekAssistant);
  }
  if (k == ChatFormatKind::deepseek_r1 || k == ChatFormatKind::deepseek_v3_1) {
    add(kThinkOpen);
    add(kThinkClose);
  }
}

// The preset's config.json holds every key the family's configuration class reads: a key it
// lacks is a typo that would be written beside the real one, which keeps its preset value. The
// dtype keys come from --dtype.
void check_override_keys(const ModelInitOptions& o, const json& preset) {
  if (!o.overrides.is_object()) throw input_error("model init", "overrides must be a JSON object");
  for (const auto& [key, value] : o.overrides.items()) {
    if (preset.contains(key) && key != "dtype" && key != "torch_dtype") continue;
    std::string known;
    for (const auto& [k, v] : preset.items()) {
      if (k != "dtype" && k != "torch_dtype") known += (known.empty() ? "" : ", ") + k;
    }
    throw input_error("--set", "field '" + key + "': the " +
                                   std::string(model_family_name(o.family)) +
                                   " config.json has no such key (keys: " + known + ")");
  }
}

}  // namespace

ModelInitResult model_init_write(const ModelInitOptions& o) {
  const std::string dtype = o.dtype.empty() ? (o.preset == "tiny" ? "f32" : "bf16") : o.dtype;
  if (dtype != "f32" && dtype != "bf16") {
    throw input_error("--dtype", "unknown dtype '" + dtype + "' (f32, bf16)");
  }
  if (o.weights != "random" && o.weights != "dummy") {
    throw input_error("--weights", "unknown weights kind '" + o.weights + "' (random, dummy)");
  }
  json cfg = model_preset_config(o.family, o.preset);
  check_override_keys(o, cfg);
  // NOTE: not merge_patch: its null deletes the key (HF then reads the class default, e.g.
  // q_lora_rank 1536 for V2-Lite's null) and its objects merge into the preset's.
  for (const auto& [key, value] : o.overrides.items()) cfg[key] = value;
  cfg["torch_dtype"] = cfg["dtype"] = dtype == "f32" ? "float32" : "bfloat16";
  const std::string where = "config.json (preset " + o.preset + ")";
  json probe = cfg;  // reject bad overrides before anything is written (ids come later)
  probe["bos_token_id"] = nullptr;
  probe["eos_token_id"] = json::array();
  model_config_from_json(probe, where);
  FamilyTokens ft = family_tokens(o.family);
  if (!o.chat_format.empty()) {
    const ChatFormatKind chat = chat_format_from_name(o.chat_format, "--chat-format").kind;
    if (std::string(chat_format_family(chat)) != chat_format_family(ft.chat)) {
      throw input_error("--chat-format", "'" + o.chat_format + "' does not fit the " +
                                             model_family_name(o.family) + " family's tokens");
    }
    ft.chat = chat;
    add_chat_specials(&ft);
  }
  prepare_out_dir(o);
  json tok = make_tokenizer(o, cfg, ft);
  for (json& t : tok["added_tokens"]) {  // R1's and V3.1's: the thinking tags are not special
    if (t["content"] == kThinkOpen || t["content"] == kThinkClose) t["special"] = false;
  }
  ModelInitResult r;
  r.config = model_config_from_json(cfg, where);
  r.params = model_param_count(r.config);
  const double std_dev = cfg.value("initializer_range", 0.02);
  if (o.weights == "dummy") {
    write_json(
        o.out_dir / kDummyWeightsFile,
        {{"format", kDummyWeightsFormat}, {"seed", o.seed}, {"std", std_dev}, {"dtype", dtype}});
  } else {
    write_random_weights(o.out_dir / "model.safetensors", r.config,
                         dtype == "f32" ? StDtype::f32 : StDtype::bf16, o.seed, std_dev);
  }
  write_json(o.out_dir / "tokenizer.json", tok);
  write_json(o.out_dir / "tokenizer_config.json",
             tokenizer_config(ft, r.config.max_position_embeddings));
  json gen = {{"bos_token_id", cfg["bos_token_id"]}, {"eos_token_id", cfg["eos_token_id"]}};
  write_json(o.out_dir / "generation_config.json", gen);
  write_json(o.out_dir / "config.json", cfg);  // last: a config.json means a complete checkpoint
  if (o.weights != "dummy") {
    r.safetensors_bytes = std::filesystem::file_size(o.out_dir / "model.safetensors");
  }
  r.total_bytes = dir_bytes(o.out_dir);
  return r;
}

}  // namespace moebench
