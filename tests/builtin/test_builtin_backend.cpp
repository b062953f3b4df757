// The builtin:<dir> backend: runs on the tiny init'ed model end to end, is deterministic, scores
// continuations exactly as a plain forward pass does, and cuts at stop strings.
#include <algorithm>
#include <cmath>

#include "backends/builtin/builtin_backend.h"
#include "backends/builtin/builtin_model.h"
#include "backends/builtin/checkpoint/model_init.h"
#include "backends/builtin/engine/cpu/engine_cpu.h"
#include "common/error.h"
#include "tests/builtin/builtin_test_util.h"
#include "tests/catch.h"
#include "tests/checkpoint/checkpoint_test_util.h"
#include "tests/input_error_of.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

fs::path tiny_model(const std::string& family) {
  static std::map<std::string, fs::path> made;
  if (made.count(family)) return made[family];
  ModelInitOptions o;
  o.family = model_family_parse(family, "test");
  o.preset = "tiny";
  o.out_dir = temp_dir("builtin-" + family) / "model";
  o.training_text_dir = fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  model_init_write(o);
  return made[family] = o.out_dir;
}

// One thread on the CPU engine: the scores below are compared with a CPU forward.
BuiltinLoadOptions cpu_options() {
  BuiltinLoadOptions o;
  o.threads = 1;
  o.device = "cpu";
  return o;
}

}  // namespace

TEST_CASE("builtin: loglikelihood equals a plain forward over context+continuation", "[builtin]") {
  for (const char* family : {"deepseek_v3", "qwen2_moe"}) {
    auto m = BuiltinModel::load(tiny_model(family), cpu_options());
    const std::string ctx = "Question: What is the capital of France?\nAnswer:";
    const std::vector<std::string> conts = {" Paris", " Lyon and Marseille", " 42"};
    auto got = m->loglikelihood({{ctx, conts}, {ctx + " ", {"Paris"}}});
    REQUIRE(got.size() == 2);
    std::vector<int> ctx_ids = m->encode_text(ctx, false);
    for (size_t j = 0; j < conts.size(); ++j) {
      std::vector<int> whole = m->encode_text(ctx + conts[j], false);
      std::vector<int> cont(whole.begin() + ctx_ids.size(), whole.end());
      INFO(family << " continuation " << j);
      CHECK(std::abs(got[0].logliks[j] - direct_loglik(*m, ctx_ids, cont)) < 1e-4);
      CHECK(got[0].logliks[j] < 0);
    }
    // lm-eval moves the context's trailing space into the continuation.
    CHECK(std::abs(got[1].logliks[0] - got[0].logliks[0]) < 1e-4);
  }
}

TEST_CASE("builtin: greedy generation is deterministic and honours stop strings", "[builtin]") {
  auto m = BuiltinModel::load(tiny_model("mixtral"), cpu_options());
  GenerateRequest r;
  r.prompt = m->encode_text("Once upon a time", false);
  r.max_tokens = 24;
  auto a = m->generate({r});
  auto b = m->generate({r});
  REQUIRE(a[0].text == b[0].text);
  CHECK(a[0].tokens == b[0].tokens);
  if (a[0].finish_reason == "length") CHECK(a[0].tokens.size() == 24);
  std::string streamed;
  m->generate({r}, [&](size_t, const std::string& piece) { streamed += piece; });
  CHECK(streamed == a[0].text);
  if (a[0].text.size() > 4) {
    r.stop = {a[0].text.substr(3, 2)};
    auto cut = m->generate({r});
    CHECK(cut[0].text == a[0].text.substr(0, a[0].text.find(r.stop[0])));
    CHECK(cut[0].finish_reason == "stop");
  }
}

// HF's generate() and vLLM stop at generation_config.json's eos_token_id too (Qwen3-30B-A3B's
// <|endoftext|> is only there); config.json's ids still stop.
TEST_CASE("builtin: generation stops at generation_config.json's eos ids too", "[builtin]") {
  const fs::path dir = temp_dir("builtin-gen-eos") / "model";
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  fs::copy(tiny_model("mixtral"), dir, fs::copy_options::recursive);
  GenerateRequest r;
  r.max_tokens = 24;
  std::vector<int> free_run;
  {
    auto m = BuiltinModel::load(dir, cpu_options());
    r.prompt = m->encode_text("Once upon a time", false);
    free_run = m->generate({r})[0].tokens;
  }
  // The first token of the free run (not an eos: the run went on) ends the run now.
  REQUIRE(free_run.size() > 1);
  ckpt_test::write_file(dir / "generation_config.json",
                        nlohmann::json({{"eos_token_id", free_run[0]}}).dump());
  auto m = BuiltinModel::load(dir, cpu_options());
  const GenerateResult cut = m->generate({r})[0];
  CHECK(cut.tokens == std::vector<int>{free_run[0]});
  CHECK(cut.finish_reason == "stop");
  ckpt_test::write_file(dir / "generation_config.json", R"({"eos_token_id": ["x"]})");
  CHECK(input_error_of([&] { BuiltinModel::load(dir, cpu_options()); }) ==
        (dir / "generation_config.json").string() +
            ": field 'eos_token_id': expected a token id or a list of them, got [\"x\"]");
}

TEST_CASE("builtin: moebench run on the samples, twice, gives identical responses", "[builtin]") {
  fs::path dir = temp_dir("builtin-run");
  const std::string model = tiny_model("deepseek_v3").string();
  const std::string cmd = moebench_bin() + " run --backend builtin:" + model +
                          " --samples --suites arc_challenge,gsm8k,mmlu --no-cache --no-progress "
                          "--results-dir '" +
                          (dir / "results").string() + "'";
  CommandResult first = run_command(cmd + " --run-id first", dir);
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CommandResult second = run_command(cmd + " --run-id second", dir);
  REQUIRE(second.exit_code == 0);
  std::vector<fs::path> runs = run_dirs(dir / "results");
  REQUIRE(runs.size() == 2);
  auto responses = [](const fs::path& run) {
    std::vector<std::string> out;
    for (const std::string& line : read_lines(run / "samples.jsonl")) {
      auto j = nlohmann::json::parse(line);
      out.push_back(j["suite"].get<std::string>() + j["doc_id"].get<std::string>() +
                    j["responses"].dump() + j["logliks"].dump());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  CHECK(responses(runs[0]) == responses(runs[1]));
  auto run_json = nlohmann::json::parse(read_file(runs[0] / "run.json"));
  CHECK(run_json["backend"]["id"].get<std::string>().rfind("builtin:model@", 0) == 0);
  CHECK(run_json["backend"]["details"]["config"]["family"] == "deepseek_v3");
}

TEST_CASE("builtin: a bad checkpoint directory is a one-line error, exit 2", "[builtin]") {
  fs::path dir = temp_dir("builtin-bad");
  fs::create_directories(dir / "ckpt");
  std::ofstream(dir / "ckpt/config.json") << R"({"model_type": "llama", "vocab_size": 10})";
  CommandResult r =
      run_command(moebench_bin() + " run --backend builtin:" + (dir / "ckpt").string() +
                      " --samples --no-progress",
                  dir);
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("model_type") != std::string::npos);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
}

// Base-model checkpoints often ship without a chat template: a reviewer's run of one (no
// chat_template key, or no tokenizer_config.json) died with "internal error: basic_string:
// construction from null is not valid", exit 1, even with --dry-run.
TEST_CASE("builtin: a checkpoint without a chat template runs completion suites", "[builtin]") {
  for (const bool drop_file : {false, true}) {
    fs::path dir = temp_dir("builtin-no-chat");
    const fs::path ckpt = dir / "base";
    fs::copy(tiny_model("deepseek_v3"), ckpt);
    if (drop_file) {
      fs::remove(ckpt / "tokenizer_config.json");
    } else {
      auto config = nlohmann::json::parse(read_file(ckpt / "tokenizer_config.json"));
      REQUIRE(config.erase("chat_template") == 1);
      std::ofstream(ckpt / "tokenizer_config.json") << config.dump();
    }
    INFO((drop_file ? "no tokenizer_config.json" : "no chat_template key"));
    const std::string cmd = moebench_bin() + " run --backend builtin:" + ckpt.string() +
                            " --samples --suites gsm8k --limit 1 --no-cache --no-progress "
                            "--results-dir '" +
                            (dir / "results").string() + "'";
    CommandResult dry = run_command(cmd + " --dry-run", dir);
    INFO(dry.output);
    CHECK(dry.exit_code == 0);
    CommandResult run = run_command(cmd, dir);
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    auto run_json = nlohmann::json::parse(read_file(run_dirs(dir / "results").at(0) / "run.json"));
    CHECK(run_json["backend"]["details"]["chat_format"].is_null());
    // What needs the template is refused in one line naming the checkpoint, before a request.
    for (const char* needs_chat : {" --profile chat", " --backend-opt chat=1"}) {
      fs::remove_all(dir / "results");
      CommandResult refused = run_command(cmd + needs_chat + " --dry-run", dir);
      INFO(needs_chat << ": " << refused.output);
      CHECK(refused.exit_code == 2);
      CHECK(refused.output.find(ckpt.string() + ": the checkpoint has no chat_template") !=
            std::string::npos);
      CHECK(std::count(refused.output.begin(), refused.output.end(), '\n') == 1);
      CHECK(run_dirs(dir / "results").empty());
    }
  }
}

namespace {

// A copy of the tiny model whose tokenizer_config.json is patched (e.g. DeepSeek-V3's
// LlamaTokenizerFast class, under which encoding with special tokens adds the BOS).
fs::path patched_model(const std::string& family, const std::string& tag,
                       const nlohmann::json& patch) {
  const fs::path dir = temp_dir("builtin-" + tag) / "model";
  fs::copy(tiny_model(family), dir);
  auto config = nlohmann::json::parse(read_file(dir / "tokenizer_config.json"));
  config.merge_patch(patch);
  std::ofstream(dir / "tokenizer_config.json") << config.dump();
  return dir;
}

std::vector<double> backend_logliks(const fs::path& dir, bool add_bos, const std::string& ctx,
                                    const std::vector<std::string>& conts) {
  BuiltinBackendOptions o;
  o.threads = 1;
  o.device = "cpu";
  o.add_bos = add_bos;
  BuiltinBackend backend(dir, o);
  Request r;
  r.prompt = ctx;
  r.continuations = conts;
  const std::vector<Response> out = backend.run({r});
  REQUIRE(out.size() == 1);
  REQUIRE(!out[0].error);
  return out[0].logliks;
}

}  // namespace

// A reviewer's run: --backend-opt add_bos=1 changed generation prompts only; lm-eval's
// add_bos_token encodes the context (and context+continuation) with the BOS, so the scored context
// starts with it while the continuation's tokens stay the same.
TEST_CASE("builtin: add_bos puts the BOS before the scored context as lm-eval does", "[builtin]") {
  const fs::path dir =
      patched_model("deepseek_v3", "add-bos", {{"tokenizer_class", "LlamaTokenizerFast"}});
  auto m = BuiltinModel::load(dir, cpu_options());
  const int bos = m->tokenizer().token_to_id("<｜begin▁of▁sentence｜>");
  const std::string ctx = "Question: What is the capital of France?\nAnswer:";
  const std::vector<std::string> conts = {" Paris", " Lyon and Marseille"};
  std::vector<int> ctx_ids = m->encode_text(ctx, false);
  REQUIRE(m->encode_text(ctx, true).front() == bos);
  const std::vector<double> with_bos = backend_logliks(dir, true, ctx, conts);
  const std::vector<double> without = backend_logliks(dir, false, ctx, conts);
  REQUIRE(with_bos.size() == conts.size());
  REQUIRE(without.size() == conts.size());
  std::vector<int> bos_ctx = ctx_ids;
  bos_ctx.insert(bos_ctx.begin(), bos);
  for (size_t j = 0; j < conts.size(); ++j) {
    const std::vector<int> whole = m->encode_text(ctx + conts[j], false);
    const std::vector<int> cont(whole.begin() + ctx_ids.size(), whole.end());
    INFO("continuation " << j);
    CHECK(std::abs(with_bos[j] - direct_loglik(*m, bos_ctx, cont)) < 1e-4);
    CHECK(std::abs(without[j] - direct_loglik(*m, ctx_ids, cont)) < 1e-4);
  }
}

// lm-eval scores a continuation of an empty context after prefix_token_id: the tokenizer's BOS,
// the EOS where it has none (moebench took the EOS always). With add_bos_token its continuation
// is encoded with the BOS too.
TEST_CASE("builtin: an empty context is the BOS as lm-eval's prefix token", "[builtin]") {
  const fs::path dir =
      patched_model("deepseek_v3", "empty-ctx", {{"tokenizer_class", "LlamaTokenizerFast"}});
  auto m = BuiltinModel::load(dir, cpu_options());
  const int bos = m->tokenizer().token_to_id("<｜begin▁of▁sentence｜>");
  const std::vector<int> cont = m->encode_text("Paris is big", false);
  auto got = m->loglikelihood({{"", {"Paris is big"}}});
  CHECK(std::abs(got[0].logliks[0] - direct_loglik(*m, {bos}, cont)) < 1e-4);
  std::vector<int> bos_cont = cont;
  bos_cont.insert(bos_cont.begin(), bos);
  CHECK(std::abs(backend_logliks(dir, true, "", {"Paris is big"})[0] -
                 direct_loglik(*m, {bos}, bos_cont)) < 1e-4);
  // Qwen's tokenizer has no BOS: its EOS (tokenizer_config.json's eos_token) stands in.
  auto qwen = BuiltinModel::load(tiny_model("qwen2_moe"), cpu_options());
  const int eos = qwen->tokenizer().token_to_id("<|im_end|>");
  CHECK(std::abs(qwen->loglikelihood({{"", {"Paris"}}})[0].logliks[0] -
                 direct_loglik(*qwen, {eos}, qwen->encode_text("Paris", false))) < 1e-4);
}

// lm-eval's _encode_pair moves context.rstrip()'s whitespace, not only spaces: a context ending
// in a newline has the newline scored as part of the continuation.
TEST_CASE("builtin: any trailing whitespace of the context moves to the continuation",
          "[builtin]") {
  auto m = BuiltinModel::load(tiny_model("deepseek_v3"), cpu_options());
  const std::string ctx = "Question: What is the capital of France?\nAnswer:";
  for (const std::string tail : {"\n", " \n\t", "\u3000"}) {
    const std::vector<int> ctx_ids = m->encode_text(ctx, false);
    const std::vector<int> whole = m->encode_text(ctx + tail + "Paris", false);
    const std::vector<int> cont(whole.begin() + ctx_ids.size(), whole.end());
    INFO("tail " << nlohmann::json(tail).dump());
    CHECK(std::abs(m->loglikelihood({{ctx + tail, {"Paris"}}})[0].logliks[0] -
                   direct_loglik(*m, ctx_ids, cont)) < 1e-4);
  }
}

// add_bos changes the answers, so its responses must not be served from add_bos=0's cache.
TEST_CASE("builtin: add_bos answers have their own cache entries", "[builtin]") {
  BuiltinBackendOptions o;
  o.threads = 1;
  o.device = "cpu";
  const std::string plain = BuiltinBackend(tiny_model("deepseek_v3"), o).info().cache_key();
  o.add_bos = true;
  CHECK(BuiltinBackend(tiny_model("deepseek_v3"), o).info().cache_key() != plain);
}

// A checkpoint whose chat template no format matches still runs completion prompts; what needs
// the template fails with the template's error, naming tokenizer_config.json.
TEST_CASE("builtin: an unrecognised chat template refuses chat only", "[builtin]") {
  const fs::path dir =
      patched_model("deepseek_v3", "unknown-chat", {{"chat_template", "{{ messages }}"}});
  auto m = BuiltinModel::load(dir, cpu_options());
  CHECK(!m->chat_format());
  CHECK(!m->encode_text("Hello", false).empty());
  const std::string error = [&] {
    try {
      m->encode_chat({{"user", "Hi"}});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  }();
  CHECK(error.starts_with((dir / "tokenizer_config.json").string() +
                          ": field 'chat_template': unrecognized template"));
  BuiltinBackendOptions o;
  o.threads = 1;
  o.device = "cpu";
  const BackendInfo info = BuiltinBackend(dir, o).info();
  CHECK(!info.chat);
  CHECK(info.no_chat_reason == error);
}

// model init writes the new formats' real templates for the families whose tokens they use, and
// a V3.1 checkpoint's chat prompt ends in the "</think>" token its non-thinking mode starts with.
TEST_CASE("builtin: model init writes the chat template --chat-format names", "[builtin]") {
  const std::pair<const char*, const char*> cases[] = {{"deepseek_v3", "deepseek_v3_1"},
                                                       {"deepseek_v2", "deepseek_v3"},
                                                       {"qwen2_moe", "qwen2"},
                                                       {"mixtral", "mistral_legacy"}};
  for (const auto& [family, format] : cases) {
    ModelInitOptions o;
    o.family = model_family_parse(family, "test");
    o.preset = "tiny";
    o.chat_format = format;
    o.out_dir = temp_dir(std::string("builtin-init-") + format) / "model";
    o.training_text_dir = fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
    model_init_write(o);
    auto m = BuiltinModel::load(o.out_dir, cpu_options());
    REQUIRE(m->chat_format());
    CHECK(std::string(m->chat_format()->name()) == format);
    const std::vector<int> prompt = m->encode_chat({{"user", "Hi"}});
    const std::string tail = std::string(format) == "qwen2"            ? "<|im_start|>assistant\n"
                             : std::string(format) == "deepseek_v3"    ? "<｜Assistant｜>"
                             : std::string(format) == "mistral_legacy" ? "[INST] Hi [/INST]"
                                                                       : "</think>";
    CHECK(m->tokenizer().decode(prompt).ends_with(tail));
    if (std::string(format) == "deepseek_v3") {  // V3's turns on a V2 model: their own tokens
      CHECK(prompt.back() == m->tokenizer().token_to_id("<｜Assistant｜>"));
      CHECK(prompt.back() != -1);
    }
    if (std::string(format) == "deepseek_v3_1") {
      CHECK(prompt.back() == m->tokenizer().token_to_id("</think>"));
    }
  }
  ModelInitOptions o;
  o.family = ModelFamily::deepseek_v3;
  o.preset = "tiny";
  o.chat_format = "qwen2";
  o.out_dir = temp_dir("builtin-init-misfit") / "model";
  CHECK_THROWS_WITH(model_init_write(o),
                    "--chat-format: 'qwen2' does not fit the deepseek_v3 family's tokens");
}
