// The suite template language (hand-written; it is the product): {{path}}, {{path|pipe:"arg"}},
// {{#each path}}...{{/each}} and {{#if path}}...{{else}}...{{/if}}. Syntax in tasks/README.md.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace moebench {

// What a template may refer to. Lookup order for a name: loop variables (item, index, number,
// letter, is_last), then `extra`, then `reserved` (_id, _subject, _subject_vars, ...), then `doc`.
struct TemplateScope {
  const nlohmann::json* doc = nullptr;       // the record's fields
  const nlohmann::json* extra = nullptr;     // caller variables; shadow everything but loops
  const nlohmann::json* reserved = nullptr;  // harness variables, names start with '_'
  std::string_view source;                   // "path:line" of the doc, for error messages
};

// What a field that is null renders as: nothing (prompt text: AGIEval's passage is null when a
// question has none), or an error (what a document is scored against: a null target is a
// document no answer can match).
enum class NullValue { kEmpty, kError };

class Template {
 public:
  Template();
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  Template(const Template&);
  Template& operator=(const Template&);

  // Parses `text`. `where` prefixes every error, e.g. "tasks/math/gsm8k.json: field
  // 'prompt.doc_to_text'"; syntax errors and unknown pipes throw InputError here. A doc field
  // that is a list or an object where text is meant (a bare tag, a text pipe's input, an
  // element of join) is an InputError "DOC: field 'path' is a list (expected a string)"; so is
  // a null one under NullValue::kError, unless its tag starts with the default pipe.
  static Template compile(std::string_view text, std::string where,
                          NullValue null = NullValue::kEmpty);

  // Appends the rendering to `out`. Unknown variables throw InputError naming `where` and the
  // doc's source.
  void render_to(std::string& out, const TemplateScope& scope) const;
  std::string render(const TemplateScope& scope) const;
  // When the template is exactly one {{expression}}, its value as JSON (lists stay lists);
  // otherwise the rendered string.
  nlohmann::json render_value(const TemplateScope& scope) const;

  const std::string& where() const;
  bool empty() const;

  struct Node;

 private:
  std::shared_ptr<const std::vector<Node>> nodes_;
  std::string where_;
  NullValue null_ = NullValue::kEmpty;
};

// The text a JSON value renders as: strings as they are, null as "", numbers in decimal,
// booleans as true/false, lists and objects as compact JSON.
void template_append_value(std::string& out, const nlohmann::json& v);

// Python's str.strip() (Unicode whitespace included) on UTF-8 text.
std::string_view template_py_strip(std::string_view s);

// The content of the last \boxed{...} (brace-matched) or \boxed ... up to '$' or \fbox{...};
// "" when there is none. Mirrors lm-eval's last_boxed_only_string + remove_boxed.
std::string template_last_boxed(std::string_view s);

}  // namespace moebench
