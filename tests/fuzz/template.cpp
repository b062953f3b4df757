// Fuzz target: the suite template language (tasks/src/template.cpp): compile the input, then
// render it against a record shaped like the suites' (strings, a list of choices, numbers,
// nested objects), and the \boxed and strip helpers the pipes use.
#include "tasks/src/template.h"

#include "common/error.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

const nlohmann::json kDoc = {
    {"question", "Natalia sold clips to 48 of her friends. How many?"},
    {"answer", "She sold 48/2 = <<48/2=24>>24 clips.\n#### 72"},
    {"choices", {"A) 12", "B) \\boxed{72}", "C) \xe4\xb8\xad\xe6\x96\x87", ""}},
    {"label", 2},
    {"score", -1.5},
    {"empty", nullptr},
    {"flag", true},
    {"meta", {{"subject", "high_school_mathematics"}, {"tags", {"a", "b"}}}}};
const nlohmann::json kExtra = {{"fewshot", {{{"q", "1+1"}, {"a", "2"}}}}, {"target", "72"}};
const nlohmann::json kReserved = {{"_id", "test/0"}, {"_subject", "math"}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = moebench::fuzz::fuzz_text(data, size);
  moebench::template_last_boxed(text);
  moebench::template_py_strip(text);
  try {
    moebench::Template t = moebench::Template::compile(text, "fuzz.json: field 'template'");
    moebench::TemplateScope scope{&kDoc, &kExtra, &kReserved, "fuzz.jsonl:1"};
    t.render(scope);
    t.render_value(scope);
  } catch (const moebench::InputError&) {
  }
  return 0;
}
