// Text filter steps through the registry: regex, take_first, strip_think, answer_letter,
// answer_letters, code_block, and the InputErrors of bad specs.
#include "common/error.h"
#include "harness/scoring/registry.h"
#include "tests/catch.h"

using moebench::FilterContext;
using moebench::InputError;
using nlohmann::json;

namespace {

std::vector<std::string> apply(const json& step, std::vector<std::string> resps) {
  moebench::scoring_register_builtins();
  return moebench::filter_make(step, "test.json: filters[0].steps[0]")(std::move(resps),
                                                                       FilterContext{});
}

std::string apply1(const json& step, const std::string& resp) { return apply(step, {resp}).at(0); }

std::string error_of(const json& step) {
  try {
    apply(step, {});
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("regex: group_select, tuples, strip, fallback", "[scoring][filters]") {
  json first = {{"fn", "regex"}, {"pattern", "answer is (\\w+)"}};
  CHECK(apply1(first, "the answer is x and the answer is y") == "x");
  json last = first;
  last["group_select"] = -1;
  CHECK(apply1(last, "the answer is x and the answer is y") == "y");
  json second = first;
  second["group_select"] = 1;
  CHECK(apply1(second, "the answer is x") == "[invalid]");  // lm-eval would raise IndexError
  // Tuple matches: the first non-empty group.
  json tuple = {{"fn", "regex"}, {"pattern", "(a)|(b)"}, {"group_select", -1}};
  CHECK(apply1(tuple, "xxb") == "b");
  // No groups: the whole match, stripped (Python strip() includes U+3000 and NBSP).
  json whole = {{"fn", "regex"}, {"pattern", "=\\s*[^=]+$"}, {"fallback", "NONE"}};
  CHECK(apply1(whole, "x = 5\xe3\x80\x80") == "= 5");
  CHECK(apply1(whole, "no equals") == "NONE");
  json nocase = {{"fn", "regex"}, {"pattern", "answer: (\\d)"}, {"ignore_case", true}};
  CHECK(apply1(nocase, "ANSWER: 7") == "7");
  // Maps every response; predictions stay a list of n.
  auto out = apply(first, {"answer is a", "nothing", "answer is c"});
  CHECK(out == std::vector<std::string>{"a", "[invalid]", "c"});
}

TEST_CASE("take_first keeps the first response", "[scoring][filters]") {
  CHECK(apply({{"fn", "take_first"}}, {"a", "b", "c"}) == std::vector<std::string>{"a"});
  CHECK(apply({{"fn", "take_first"}}, {}).empty());
}

TEST_CASE("strip_think removes reasoning blocks", "[scoring][filters]") {
  json step = {{"fn", "strip_think"}};
  CHECK(apply1(step, "<think>2+2=5?</think>\n\nThe answer is 4.") == "The answer is 4.");
  // Everything before the last "</think>" was thinking (reviewer 85, F2).
  CHECK(apply1(step, "a<think>x</think>b<think>y</think> c ") == "c");
  CHECK(apply1(step, "<think>o <think>i</think> Answer: A</think>\nAnswer: D") == "Answer: D");
  CHECK(apply1(step, "opened in the prompt ... so 4</think> Answer: 4") == "Answer: 4");
  CHECK(apply1(step, "Answer: B <think>cut off while thinking") == "Answer: B");
  CHECK(apply1(step, "  plain  ") == "plain");
}

TEST_CASE("answer_letter follows simple-evals (first match)", "[scoring][filters]") {
  json en = {{"fn", "answer_letter"}};
  CHECK(apply1(en, "Let me think.\nAnswer: C") == "C");
  CHECK(apply1(en, "Answer: A\n... no wait.\nAnswer: C") == "A");  // re.search: first match
  CHECK(apply1(en, "ANSWER:\t$D$") == "D");
  CHECK(apply1(en, "answer: b") == "b");  // (?i) keeps case; simple-evals then scores it wrong
  CHECK(apply1(en, "Answer: E") == "[invalid]");
  CHECK(apply1(en, "Answer:\nB") == "[invalid]");  // [ \t]*: the letter must be on the line
  // A bare letter is no answer: REFERENCE.md's rule has no match (reviewer 70, #2).
  CHECK(apply1(en, "  (B) ") == "[invalid]");
  CHECK(apply1(en, "B.") == "[invalid]");
  CHECK(apply1(en, "B") == "[invalid]");
  CHECK(apply1(en, "B because") == "[invalid]");
  json zh = {{"fn", "answer_letter"}, {"lang", "zh"}};
  CHECK(apply1(zh, "解析……答案：C") == "C");
  CHECK(apply1(zh, "答案 B") == "B");
  CHECK(apply1(zh, "Answer: B") == "[invalid]");
  json any = {{"fn", "answer_letter"}, {"lang", "any"}, {"letters", "ABCDE"}};
  CHECK(apply1(any, "答案：E\nAnswer: A") == "E");  // the earlier of the two wins
  CHECK(apply1(any, "Answer: A 答案：E") == "A");
  json arc = {{"fn", "answer_letter"}, {"letters", "ABCDE12345"}};
  CHECK(apply1(arc, "so... Answer: 3") == "3");
  CHECK(apply1(arc, "4") == "[invalid]");
}

TEST_CASE("answer_letters extracts canonical letter lists", "[scoring][filters]") {
  json step = {{"fn", "answer_letters"}};
  CHECK(apply1(step, "【解析】略\n【答案】 B C A <eoa>") == "B C A");
  CHECK(apply1(step, "【答案】CB <eoa>") == "BC");
  CHECK(apply1(step, "【答案】A、C<eoa>") == "A C");
  CHECK(apply1(step, "【答案】A <eoa> 【答案】D <eoa>") == "D");  // the last marker
  CHECK(apply1(step, "所以答案：D") == "D");
  CHECK(apply1(step, "答案:\nBD\n解析: because of A") == "BD");       // first line with letters
  CHECK(apply1(step, "【答案】 Because none <eoa>") == "[invalid]");  // words are not answers
  CHECK(apply1({{"fn", "answer_letters"}, {"letters", "ABCD"}}, "【答案】 BAG") == "[invalid]");
  CHECK(apply1(step, "no marker: B") == "[invalid]");
  CHECK(apply1({{"fn", "answer_letters"}, {"letters", "ABCD"}}, "【答案】E F") == "[invalid]");
}

// The letter list ends at the first text that is not a letter group or a separator followed by
// one: the explanation after it ("因为B选项...") named other options, which were read as answers.
TEST_CASE("answer_letters stops where the letter list ends", "[scoring][filters]") {
  json step = {{"fn", "answer_letters"}};
  CHECK(apply1(step, "【答案】A，因为B选项的说法错误") == "A");
  CHECK(apply1(step, "【答案】ABD，其中C错误") == "ABD");
  CHECK(apply1(step, "【答案】A、C") == "A C");
  CHECK(apply1(step, "【答案】 B D") == "B D");
  CHECK(apply1(step, "【答案】A，B选项说法错误") == "A");  // "B选项" names an option
  CHECK(apply1(step, "【答案】C. 因为A不对") == "C");
  CHECK(apply1(step, "【答案】BD 两项正确，A错") == "BD");
  CHECK(apply1(step, "【答案】B, C; A。") == "B C A");
  CHECK(apply1(step, "【答案】：D，故选D") == "D");
  // Through choice_match: a one-question gold takes the list as one set.
  moebench::scoring_register_builtins();
  auto match = [](const std::string& response, const std::string& gold) {
    std::vector<std::string> preds = {apply1({{"fn", "answer_letters"}}, response)};
    moebench::MetricInput in;
    in.predictions = &preds;
    in.target = gold;
    return moebench::metric_make({{"metric", "choice_match"}}, "test", nullptr)(in).value;
  };
  CHECK(match("【答案】A，因为B选项的说法错误", "A") == 1);
  CHECK(match("【答案】ABD，其中C错误", "ABD") == 1);
  CHECK(match("【答案】A、C", "AC") == 1);
  CHECK(match("【答案】 B D", "BD") == 1);
  CHECK(match("【答案】B C A", "B C A") == 1);
  CHECK(match("【答案】A，因为B选项的说法错误", "AB") == 0);
}

TEST_CASE("code_block takes the first fenced block", "[scoring][filters]") {
  json step = {{"fn", "code_block"}, {"language", "python"}};
  CHECK(apply1(step, "Here:\n```python\ndef f():\n    return 1\n```\nDone.") ==
        "def f():\n    return 1\n");
  CHECK(apply1(step, "```\nx = 1\n```") == "x = 1\n");
  CHECK(apply1(step, "```bash\nls\n```\n```py\ny = 2\n```") == "y = 2\n");
  CHECK(apply1(step, "```python\ncut = True") == "cut = True");  // unterminated
  CHECK(apply1(step, "def g(): pass") == "def g(): pass");
}

TEST_CASE("code_block with a language prefers a block tagged with it", "[scoring][filters]") {
  // The python block, not a usage example or a shell line fenced before it (reviewer 70, #3).
  json step = {{"fn", "code_block"}, {"language", "python"}};
  CHECK(apply1(step, "Usage:\n```\n>>> f(1)\n```\nCode:\n```python\nx = 1\n```") == "x = 1\n");
  CHECK(apply1(step, "```bash\npip install x\n```\n```Python\ny = 2\n```") == "y = 2\n");
  // No python block: the first untagged one; another language is never run.
  CHECK(apply1(step, "```text\nnote\n```\n```\nz = 3\n```") == "z = 3\n");
  CHECK(apply1(step, "```bash\nls\n```") == "```bash\nls\n```");
  // No language: the first block of any kind, as lm-eval's extract_code_blocks.
  CHECK(apply1({{"fn", "code_block"}}, "```bash\nls\n```\n```python\nw = 4\n```") == "ls\n");
}

TEST_CASE("bad filter specs are InputErrors naming the field", "[scoring][filters]") {
  std::string e = error_of({{"fn", "regexp"}});
  CHECK(e.find("test.json: filters[0].steps[0].fn: unknown filter 'regexp' (known: ") == 0);
  CHECK(e.find("answer_letter") != std::string::npos);
  CHECK(error_of({{"fn", "regex"}, {"pattern", "(x"}}).find("steps[0].pattern") !=
        std::string::npos);
  CHECK(error_of({{"fn", "regex"}, {"pattern", "x"}, {"group_selct", 1}})
            .find("steps[0].group_selct: unknown argument") != std::string::npos);
  CHECK(error_of({{"fn", "regex"}, {"pattern", "x"}, {"group_select", "1"}})
            .find("steps[0].group_select: expected an integer") != std::string::npos);
  CHECK(error_of({{"fn", "answer_letter"}, {"lang", "fr"}}).find(".lang") != std::string::npos);
  CHECK(error_of({{"fn", "answer_letter"}, {"letters", "abc"}}).find(".letters") !=
        std::string::npos);
  CHECK(error_of(json::array()).find("steps[0]: expected an object") != std::string::npos);
}
