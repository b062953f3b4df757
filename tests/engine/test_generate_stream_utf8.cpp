// Streamed text (GenerateCallbacks::on_text, what serve sends as SSE chunks) comes in whole UTF-8
// characters: with a stop string the held-back tail was cut by bytes, so a 3-byte character was
// sent in two pieces and each became U+FFFD in the server's JSON.
#include <map>
#include <string>
#include <vector>

#include "backends/builtin/builtin_model.h"
#include "backends/builtin/checkpoint/model_init.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
namespace fs = std::filesystem;

namespace {

// Whether s is a sequence of whole UTF-8 characters (no lead byte without its continuations, no
// continuation byte without its lead).
bool whole_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80         ? 1
                       : (c >> 5) == 6  ? 2
                       : (c >> 4) == 14 ? 3
                       : (c >> 3) == 30 ? 4
                                        : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

TEST_CASE("generate: streamed pieces are whole UTF-8 characters when a stop string holds a tail",
          "[batching]") {
  ModelInitOptions init;
  init.family = model_family_parse("deepseek_v3", "test");
  init.preset = "tiny";
  init.out_dir = testing::temp_dir("stream-utf8") / "model";
  init.training_text_dir = fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  model_init_write(init);
  BuiltinLoadOptions load;
  load.threads = 1;
  load.device = "cpu";
  auto m = BuiltinModel::load(init.out_dir, load);
  std::vector<GenerateRequest> reqs;
  for (const char* prompt : {"Hello there", "Question: 1 + 1 =", "以下是中国关于", "The answer"}) {
    GenerateRequest r;
    r.prompt = m->encode_text(prompt, false);
    r.max_tokens = 40;
    r.ignore_eos = true;
    r.stop = {"Question:", "</s>", "\n\n"};
    reqs.push_back(r);
  }
  std::vector<std::vector<std::string>> pieces(reqs.size());
  const std::vector<GenerateResult> got =
      m->generate(reqs, [&](size_t i, const std::string& s) { pieces.at(i).push_back(s); });
  size_t multibyte = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    INFO("request " << i << ": " << got[i].text);
    std::string joined;
    for (const std::string& p : pieces[i]) {
      CHECK(whole_utf8(p));
      joined += p;
    }
    CHECK(joined == got[i].text);
    for (char c : got[i].text) multibyte += static_cast<unsigned char>(c) >= 0x80 ? 1 : 0;
  }
  CHECK(multibyte > 0);  // the model did write characters of several bytes
  fs::remove_all(init.out_dir.parent_path());
}
