// Tests of the template language: paths, indexes, pipes, loops, conditionals and its errors.
#include <string>

#include "common/error.h"
#include "tasks/src/template.h"
#include "tests/catch.h"

using moebench::Template;
using moebench::TemplateScope;
using nlohmann::json;

namespace {

std::string render(const std::string& tmpl, const json& doc, const json& extra = json::object()) {
  TemplateScope scope{&doc, &extra, nullptr, "doc.jsonl:7"};
  return Template::compile(tmpl, "spec.json: field 'prompt.doc_to_text'").render(scope);
}

std::string error_of(const std::string& tmpl, const json& doc) {
  try {
    render(tmpl, doc);
  } catch (const moebench::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

const json kDoc = json::parse(R"({
  "question": "  What is 2+2?  ",
  "subject": "high_school_math",
  "n": 4,
  "passage": null,
  "choices": {"text": ["three", "four"], "label": ["A", "B"]},
  "options": ["(A)3", "(B)4", "(C)5"],
  "list": [{"text": "x", "label": "1"}, {"text": "y", "label": "2"}],
  "solution": "So $x = \\boxed{\\frac{1}{2}}$ and then \\boxed{7}."
})");

}  // namespace

TEST_CASE("template: fields, sub-fields, indexes", "[template]") {
  CHECK(render("Q: {{question}}|", kDoc) == "Q:   What is 2+2?  |");
  CHECK(render("{{choices.text[1]}} {{choices.label[0]}}", kDoc) == "four A");
  CHECK(render("{{options[-1]}}", kDoc) == "(C)5");
  CHECK(render("{{list[1].text}}{{ n }}", kDoc) == "y4");
  CHECK(render("[{{passage}}]", kDoc) == "[]");
  CHECK(render("no tags } { here", kDoc) == "no tags } { here");
  CHECK(render("\\boxed{{{n}}}", kDoc) == "\\boxed{4}");
}

TEST_CASE("template: pipes", "[template]") {
  CHECK(render("{{question|strip}}", kDoc) == "What is 2+2?");
  CHECK(render("{{subject|replace:\"_\":\" \"|upper}}", kDoc) == "HIGH SCHOOL MATH");
  CHECK(render("{{options|join:\", \"}}", kDoc) == "(A)3, (B)4, (C)5");
  CHECK(render("{{options|join:\"\\n\"}}", kDoc) == "(A)3\n(B)4\n(C)5");
  CHECK(render("{{solution|last_boxed}}", kDoc) == "7");
  CHECK(render("{{options|first}}", kDoc) == "(A)3");
  CHECK(render("{{options|last}}", kDoc) == "(C)5");
  CHECK(render("{{missing|default:\"-\"}}", kDoc) == "-");
  CHECK(render("{{n|letter}}", kDoc) == "E");
  CHECK(render("{{options|chars|join:\"\"}}", json{{"options", "A B D"}}) == "ABD");
  CHECK(render("{{x|chars|join:\",\"}}", json{{"x", {"B", "CD"}}}) == "B,C,D");
  CHECK(render("{{question|lstrip}}|", kDoc) == "What is 2+2?  |");
  CHECK(render("{{options|count}}", kDoc) == "3");  // a list's length; one value counts 1
  CHECK(render("{{question|count}}", kDoc) == "1");
  CHECK(render("{{x|count}}", json{{"x", nullptr}}) == "0");
  CHECK(moebench::template_py_strip("\xE3\x80\x80 x \xC2\xA0") == "x");
}

TEST_CASE("template: last_boxed follows lm-eval", "[template]") {
  CHECK(moebench::template_last_boxed("a \\boxed{\\frac{1}{2}} b") == "\\frac{1}{2}");
  CHECK(moebench::template_last_boxed("\\boxed{1} then \\boxed{2}") == "2");
  CHECK(moebench::template_last_boxed("\\fbox{3}") == "3");
  CHECK(moebench::template_last_boxed("so \\boxed 5$ done") == "5");
  CHECK(moebench::template_last_boxed("none") == "");
  CHECK(moebench::template_last_boxed("\\boxed{open") == "");
}

TEST_CASE("template: each and if over a variable number of options", "[template]") {
  CHECK(render("{{#each options}}{{letter}}. {{item}}\n{{/each}}", kDoc) ==
        "A. (A)3\nB. (B)4\nC. (C)5\n");
  CHECK(render(
            "{{#each list}}{{item.label}}) {{item.text}}{{#if is_last}}.{{else}}, {{/if}}{{/each}}",
            kDoc) == "1) x, 2) y.");
  CHECK(render("{{#each options}}{{index}}{{number}}{{/each}}", kDoc) == "011223");
  CHECK(render("{{#if passage}}P{{else}}no passage{{/if}}", kDoc) == "no passage");
  CHECK(render("{{#if nothing_here}}P{{/if}}", kDoc) == "");
}

TEST_CASE("template: extra variables shadow doc fields", "[template]") {
  json extra = {{"question", "shadowed"}, {"completion", "    return 1\n"}};
  CHECK(render("{{question}}|{{completion}}", kDoc, extra) == "shadowed|    return 1\n");
}

TEST_CASE("template: render_value keeps lists", "[template]") {
  TemplateScope scope{&kDoc, nullptr, nullptr, "d"};
  CHECK(Template::compile("{{options}}", "w").render_value(scope).is_array());
  CHECK(Template::compile("x{{options[0]}}", "w").render_value(scope) == "x(A)3");
}

TEST_CASE("template: errors name the spec field and the doc", "[template]") {
  CHECK(error_of("{{questoin}}", kDoc) ==
        "spec.json: field 'prompt.doc_to_text': unknown variable 'questoin' (doc doc.jsonl:7)");
  CHECK(
      error_of("{{choices.text[5]}}", kDoc) ==
      "spec.json: field 'prompt.doc_to_text': cannot resolve 'choices.text[5]' (doc doc.jsonl:7)");
  CHECK(error_of("{{question|shout}}", kDoc).find("unknown pipe 'shout'") != std::string::npos);
  CHECK(error_of("{{question", kDoc).find("never closed") != std::string::npos);
  CHECK(error_of("{{#each options}}x", kDoc).find("'{{#each options}}' is never closed") !=
        std::string::npos);
  CHECK(error_of("{{/if}}", kDoc).find("without its opening tag") != std::string::npos);
  CHECK(error_of("{{replace|replace:\"a\"}}", kDoc).find("takes 2 argument(s)") !=
        std::string::npos);
}

// Found by tests/fuzz/template.cpp: std::stol threw out_of_range or invalid_argument past the
// InputError the spec loader catches.
TEST_CASE("template: an index that is not a long is a syntax error", "[template]") {
  CHECK(error_of("{{choices.text[99999999999999999999]}}", kDoc).find("bad index") !=
        std::string::npos);
  CHECK(error_of("{{choices.text[-]}}", kDoc).find("bad index") != std::string::npos);
  CHECK(render("{{choices.text[-1]}}", kDoc) == "four");
}

// Found by tests/fuzz/template.cpp: std::stol threw invalid_argument on a doc value that is not a
// number, an internal error; out of 0..25 the letter was not a letter.
TEST_CASE("template: letter takes 0 to 25, as a number or its text", "[template]") {
  CHECK(render("{{n|letter}} {{choices.label|first|letter}}",
               json{{"n", 2}, {"choices", {{"label", {" 3"}}}}}) == "C D");
  CHECK(error_of("{{question|letter}}", kDoc) ==
        "spec.json: field 'prompt.doc_to_text': template tag '{{question|letter}}': letter: '  "
        "What is 2+2?  ' is not 0 to 25 (doc doc.jsonl:7)");
  CHECK(error_of("{{n|letter}}", json{{"n", 26}}).find("'26' is not 0 to 25") != std::string::npos);
}

// Found by tests/fuzz/template.cpp (a campaign timeout): each `chars|join:XXXX` multiplies the
// value's length, so a short template rendered for minutes and gigabytes.
TEST_CASE("template: a tag whose value outgrows 1 MiB is an error, not a hang", "[template]") {
  std::string tag = "{{question";
  for (int i = 0; i < 12; ++i) tag += "|chars|join:\"xxxxxxxx\"";
  tag += "}}";
  CHECK(error_of(tag, kDoc).find("join: the result exceeds 1048576 bytes (doc doc.jsonl:7)") !=
        std::string::npos);
  CHECK(error_of("{{question|replace:\"2\":\"" + std::string(1 << 21, 'x') + "\"}}", kDoc)
            .find("replace: the result exceeds") != std::string::npos);
  CHECK(render("{{question|chars|join:\"-\"}}", kDoc) == "W-h-a-t-i-s-2-+-2-?");
}

namespace {

std::string target_error_of(const std::string& tmpl, const json& doc) {
  TemplateScope scope{&doc, nullptr, nullptr, "doc.jsonl:7"};
  try {
    Template::compile(tmpl, "spec.json: field 'prompt.doc_to_target'", moebench::NullValue::kError)
        .render(scope);
  } catch (const moebench::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

// Reviewer 72, F4: a null gold rendered as '' and a list or object question as its JSON text, so
// a document nobody can score ran with exit 0.
TEST_CASE("template: a null target field and a list or object where text is meant are errors",
          "[template]") {
  const json doc = {{"answer", nullptr},
                    {"question", {"a", "b"}},
                    {"obj", {{"k", 1}}},
                    {"list", {"x", nullptr}},
                    {"ok", "yes"}};
  CHECK(target_error_of("{{answer}}", doc) ==
        "doc.jsonl:7: field 'answer' is null (expected a string)");
  CHECK(target_error_of("#### {{answer|strip}}", doc) ==
        "doc.jsonl:7: field 'answer' is null (expected a string)");
  CHECK(target_error_of("{{answer|join:\" \"}}", doc) ==
        "doc.jsonl:7: field 'answer' is null (expected a string)");
  CHECK(target_error_of("{{answer|default:\"-\"}}{{ok}}", doc) == "(no error)");
  CHECK(target_error_of("{{list|join:\" \"}}", doc) ==
        "doc.jsonl:7: field 'list[1]' is null (expected a string)");
  CHECK(error_of("Q: {{question}}", doc) ==
        "doc.jsonl:7: field 'question' is a list (expected a string)");
  CHECK(error_of("Q: {{question|strip}}", doc) ==
        "doc.jsonl:7: field 'question' is a list (expected a string)");
  CHECK(error_of("{{obj}}", doc) == "doc.jsonl:7: field 'obj' is an object (expected a string)");
  CHECK(error_of("{{x|join:\",\"}}", json{{"x", {{"a"}, "b"}}}) ==
        "doc.jsonl:7: field 'x[0]' is a list (expected a string)");
  // A prompt field may be null (AGIEval's passage): it renders as nothing.
  CHECK(error_of("[{{answer}}]{{list|join:\",\"}}", doc) == "(no error)");
  CHECK(render("[{{answer}}]{{list|join:\",\"}}", doc) == "[]x,");
}
