// The suite template language: parser (compile) and renderer. Hand-written and small on purpose:
// templates are data in the spec files, and their errors must name the spec field and the doc.
#include "tasks/src/template.h"

#include <charconv>
#include <deque>
#include <stdexcept>
#include <utility>

#include "common/error.h"

namespace moebench {

using nlohmann::json;

namespace {

struct Segment {
  std::string key;  // object key; empty for an index
  long index = 0;
  bool is_index = false;
};

struct Pipe {
  std::string name;
  std::vector<std::string> args;
};

struct PipeDef {
  const char* name;
  size_t n_args;
};

constexpr PipeDef kPipes[] = {{"strip", 0}, {"lstrip", 0},     {"rstrip", 0}, {"upper", 0},
                              {"lower", 0}, {"replace", 2},    {"join", 1},   {"last_boxed", 0},
                              {"first", 0}, {"last", 0},       {"letter", 0}, {"default", 1},
                              {"chars", 0}, {"after_last", 1}, {"count", 0}};

}  // namespace

struct Template::Node {
  enum class Kind { kText, kExpr, kEach, kIf };
  Kind kind = Kind::kText;
  std::string text;  // kText: the text; others: the expression source, for errors
  std::vector<Segment> path;
  std::vector<Pipe> pipes;
  std::vector<Node> body;
  std::vector<Node> else_body;
};

namespace {

using Node = Template::Node;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string_view trim_ascii(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

class ExprParser {
 public:
  ExprParser(std::string_view s, const std::string& where) : s_(s), where_(where) {}

  void parse(Node* node) {
    node->text = std::string(s_);
    parse_path(&node->path);
    skip_ws();
    while (pos_ < s_.size() && s_[pos_] == '|') {
      ++pos_;
      skip_ws();
      node->pipes.push_back(parse_pipe());
      skip_ws();
    }
    if (pos_ != s_.size()) fail("unexpected '" + std::string(s_.substr(pos_, 1)) + "'");
  }

  void parse_path(std::vector<Segment>* path) {
    skip_ws();
    path->push_back(Segment{read_name(), 0, false});
    while (pos_ < s_.size() && (s_[pos_] == '.' || s_[pos_] == '[')) {
      if (s_[pos_] == '.') {
        ++pos_;
        path->push_back(Segment{read_name(), 0, false});
        continue;
      }
      ++pos_;
      // NOTE: from_chars, not stol: "[-]" and "[99999999999999999999]" are syntax errors here,
      // where stol threw invalid_argument / out_of_range past the InputError callers catch.
      long index = 0;
      const char* begin = s_.data() + pos_;
      const auto [end, ec] = std::from_chars(begin, s_.data() + s_.size(), index);
      pos_ += static_cast<size_t>(end - begin);
      if (ec != std::errc() || pos_ >= s_.size() || s_[pos_] != ']') fail("bad index");
      path->push_back(Segment{"", index, true});
      ++pos_;
    }
  }

  bool at_end() {
    skip_ws();
    return pos_ == s_.size();
  }

 private:
  std::string read_name() {
    size_t start = pos_;
    while (pos_ < s_.size() && is_name_char(s_[pos_])) ++pos_;
    if (start == pos_) fail("expected a variable name");
    return std::string(s_.substr(start, pos_ - start));
  }

  Pipe parse_pipe() {
    Pipe p;
    p.name = read_name();
    while (pos_ < s_.size() && s_[pos_] == ':') {
      ++pos_;
      p.args.push_back(read_arg());
    }
    for (const PipeDef& d : kPipes) {
      if (p.name != d.name) continue;
      if (p.args.size() != d.n_args) {
        fail("pipe '" + p.name + "' takes " + std::to_string(d.n_args) + " argument(s)");
      }
      return p;
    }
    fail("unknown pipe '" + p.name +
         "' (known: strip, lstrip, rstrip, upper, lower, replace, join, last_boxed, first, last, "
         "letter, default, chars, after_last)");
    return p;
  }

  std::string read_arg() {
    if (pos_ >= s_.size() || s_[pos_] != '"') {
      size_t start = pos_;
      while (pos_ < s_.size() && is_name_char(s_[pos_])) ++pos_;
      if (start == pos_) fail("expected a quoted pipe argument");
      return std::string(s_.substr(start, pos_ - start));
    }
    std::string out;
    for (++pos_; pos_ < s_.size() && s_[pos_] != '"'; ++pos_) {
      char c = s_[pos_];
      if (c == '\\' && pos_ + 1 < s_.size()) {
        char e = s_[++pos_];
        c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
      }
      out += c;
    }
    if (pos_ >= s_.size()) fail("unterminated string");
    ++pos_;
    return out;
  }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }

  [[noreturn]] void fail(const std::string& what) {
    throw input_error(where_, "template tag '{{" + std::string(s_) + "}}': " + what);
  }

  std::string_view s_;
  size_t pos_ = 0;
  const std::string& where_;
};

// Builds the node tree; block tags nest through `stack_`.
class TemplateParser {
 public:
  explicit TemplateParser(const std::string& where) : where_(where) {}

  std::vector<Node> parse(std::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t open = text.find("{{", pos);
      if (open == std::string_view::npos) open = text.size();
      // NOTE: in "{{{x}}}" the outer braces are text (TeX like \boxed{{{answer}}}).
      while (open + 2 < text.size() && text[open + 2] == '{') ++open;
      if (open > pos) {
        Node t;
        t.text = std::string(text.substr(pos, open - pos));
        current().push_back(std::move(t));
      }
      if (open == text.size()) break;
      size_t close = text.find("}}", open + 2);
      if (close == std::string_view::npos) {
        fail("template: '{{' at offset " + std::to_string(open) + " is never closed");
      }
      tag(trim_ascii(text.substr(open + 2, close - open - 2)));
      pos = close + 2;
    }
    if (!stack_.empty()) fail("template: '{{" + stack_.back().node.text + "}}' is never closed");
    return std::move(root_);
  }

 private:
  struct Open {
    Node node;
    bool in_else = false;
  };

  std::vector<Node>& current() {
    if (stack_.empty()) return root_;
    Open& o = stack_.back();
    return o.in_else ? o.node.else_body : o.node.body;
  }

  void tag(std::string_view tag) {
    if (tag.starts_with("#each ") || tag.starts_with("#if ")) {
      Node n;
      n.kind = tag[1] == 'e' ? Node::Kind::kEach : Node::Kind::kIf;
      n.text = std::string(tag);
      ExprParser p(tag.substr(tag.find(' ') + 1), where_);
      p.parse_path(&n.path);
      if (!p.at_end()) fail("template tag '{{" + std::string(tag) + "}}': expected a path");
      stack_.push_back(Open{std::move(n)});
    } else if (tag == "else") {
      if (stack_.empty() || stack_.back().node.kind != Node::Kind::kIf || stack_.back().in_else) {
        fail("template: '{{else}}' outside '{{#if}}'");
      }
      stack_.back().in_else = true;
    } else if (tag == "/each" || tag == "/if") {
      Node::Kind want = tag == "/each" ? Node::Kind::kEach : Node::Kind::kIf;
      if (stack_.empty() || stack_.back().node.kind != want) {
        fail("template: '{{" + std::string(tag) + "}}' without its opening tag");
      }
      Node done = std::move(stack_.back().node);
      stack_.pop_back();
      current().push_back(std::move(done));
    } else {
      Node n;
      n.kind = Node::Kind::kExpr;
      ExprParser(tag, where_).parse(&n);
      current().push_back(std::move(n));
    }
  }

  [[noreturn]] void fail(const std::string& what) { throw input_error(where_, what); }

  const std::string& where_;
  std::vector<Node> root_;
  std::vector<Open> stack_;
};

std::string value_string(const json& v) {
  std::string s;
  template_append_value(s, v);
  return s;
}

size_t utf8_len(unsigned char c) { return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4; }

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out += to;
  }
  out.append(s, pos);
  return out;
}

// A value a pipe cannot take; the renderer adds the spec field, the tag and the doc.
struct PipeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A bound on what one tag may produce: `chars|join:X` repeated grows a value exponentially (found
// by tests/fuzz/template.cpp: a 2 kB template rendered for minutes). Real prompts are kilobytes.
constexpr size_t kMaxRenderedBytes = 1 << 20;

void check_size(const std::string& s, const char* pipe) {
  if (s.size() > kMaxRenderedBytes)
    throw PipeError(std::string(pipe) + ": the result exceeds " +
                    std::to_string(kMaxRenderedBytes) + " bytes");
}

json apply_pipe(const Pipe& p, json v) {
  const std::string& n = p.name;
  if (n == "join") {
    if (!v.is_array()) return value_string(v);
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += p.args[0];
      template_append_value(out, v[i]);
      check_size(out, "join");
    }
    return out;
  }
  if (n == "count") {  // a list's length; null 0; any other value is one
    return v.is_array() ? v.size() : v.is_null() ? 0 : 1;
  }
  if (n == "first" || n == "last") {
    if (!v.is_array()) return v;
    if (v.empty()) return nullptr;
    return n == "first" ? v.front() : v.back();
  }
  if (n == "default")
    return (v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()))
               ? json(p.args[0])
               : v;
  if (n == "chars") {  // "A B D" or ["B", "CD"] -> ["A","B","D"] / ["B","C","D"]
    json out = json::array();
    auto add = [&](const std::string& s) {
      for (size_t i = 0; i < s.size();) {
        size_t len = utf8_len(static_cast<unsigned char>(s[i]));
        if (!template_py_strip(s.substr(i, len)).empty()) out.push_back(s.substr(i, len));
        i += len;
      }
    };
    if (v.is_array()) {
      for (const json& e : v) add(value_string(e));
    } else {
      add(value_string(v));
    }
    return out;
  }
  if (n == "letter") {  // 0 -> "A": an integer, or its decimal text
    long i = -1;
    if (v.is_number_integer()) {
      i = v.get<long>();
    } else {
      const std::string shown = value_string(v);
      const std::string_view text = template_py_strip(shown);
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      if (ec != std::errc() || end != text.data() + text.size()) i = -1;
    }
    // NOTE: checked here; std::stol threw invalid_argument on a non-number, an internal error.
    if (i < 0 || i > 25) throw PipeError("letter: '" + value_string(v) + "' is not 0 to 25");
    return std::string(1, static_cast<char>('A' + i));
  }
  std::string s = value_string(v);
  if (n == "strip") return std::string(template_py_strip(s));
  if (n == "lstrip" || n == "rstrip") {
    std::string_view t = template_py_strip(s);
    size_t begin = t.data() - s.data();
    return n == "lstrip" ? s.substr(begin) : s.substr(0, begin + t.size());
  }
  if (n == "upper" || n == "lower") {
    for (char& c : s) {
      if (n == "upper" && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      if (n == "lower" && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    return s;
  }
  if (n == "after_last") {  // Python s.split(sep)[-1]: the text after the last sep, else all
    if (p.args[0].empty()) throw PipeError("after_last: empty separator");
    const size_t at = s.rfind(p.args[0]);
    return at == std::string::npos ? s : s.substr(at + p.args[0].size());
  }
  if (n == "replace") {
    s = replace_all(std::move(s), p.args[0], p.args[1]);
    check_size(s, "replace");
    return s;
  }
  return template_last_boxed(s);  // "last_boxed"; names were checked at compile time
}

struct LoopFrame {
  const json* item;
  json index, number, letter, is_last;
};

// The pipes that take a list as it is; the others read their input as text.
bool takes_list(const Pipe& p) {
  return p.name == "join" || p.name == "count" || p.name == "first" || p.name == "last" ||
         p.name == "default" || p.name == "chars";
}

std::string path_text(const std::vector<Segment>& path) {
  std::string out;
  for (const Segment& s : path) {
    out += s.is_index ? "[" + std::to_string(s.index) + "]" : (out.empty() ? "" : ".") + s.key;
  }
  return out;
}

class Renderer {
 public:
  Renderer(const TemplateScope& scope, const std::string& where, NullValue null)
      : scope_(scope), where_(where), null_(null) {}

  void render(const std::vector<Node>& nodes, std::string& out) {
    for (const Node& n : nodes) {
      switch (n.kind) {
        case Node::Kind::kText:
          out += n.text;
          break;
        case Node::Kind::kExpr:
          if (n.pipes.empty()) {
            const json* v = require(n);
            check_text(*v, n, path_text(n.path));
            template_append_value(out, *v);
          } else {
            const json v = evaluate(n);
            check_text(v, n, "");
            template_append_value(out, v);
          }
          break;
        case Node::Kind::kIf:
          render(truthy(resolve(n.path)) ? n.body : n.else_body, out);
          break;
        case Node::Kind::kEach:
          render_each(n, out);
          break;
      }
    }
  }

  json evaluate(const Node& n) {
    const json* v = resolve(n.path);
    bool has_default = !n.pipes.empty() && n.pipes.front().name == "default";
    if (!v && !has_default) fail_unknown(n);
    json value = v ? *v : json(nullptr);
    const std::string field = path_text(n.path);
    if (v && v->is_null() && !has_default) check_text(value, n, field);
    for (size_t i = 0; i < n.pipes.size(); ++i) {
      const Pipe& p = n.pipes[i];
      // Only a doc's own value is a field; after a pipe, a wrong type is the tag's.
      const std::string what = i == 0 ? field : "";
      if (!takes_list(p)) check_text(value, n, what);
      if ((p.name == "join" || p.name == "chars") && value.is_array()) {
        for (size_t k = 0; k < value.size(); ++k) {
          check_text(value[k], n, what.empty() ? what : what + "[" + std::to_string(k) + "]");
        }
      }
      try {
        value = apply_pipe(p, std::move(value));
      } catch (const PipeError& e) {
        throw input_error(where_, "template tag '{{" + n.text + "}}': " + e.what() + " (doc " +
                                      std::string(scope_.source) + ")");
      }
    }
    return value;
  }

 private:
  void render_each(const Node& n, std::string& out) {
    const json* list = require(n);
    if (list->is_null()) return;
    if (!list->is_array()) {
      throw input_error(where_, "template tag '{{" + n.text + "}}': not a list (doc " +
                                    std::string(scope_.source) + ")");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      loops_.push_back(LoopFrame{&(*list)[i], json(i), json(i + 1),
                                 json(std::string(1, static_cast<char>('A' + i))),
                                 json(i + 1 == list->size())});
      render(n.body, out);
      loops_.pop_back();
    }
  }

  static bool truthy(const json* v) {
    if (!v || v->is_null()) return false;
    if (v->is_boolean()) return v->get<bool>();
    if (v->is_string() || v->is_array() || v->is_object()) return !v->empty();
    if (v->is_number()) return v->get<double>() != 0;
    return true;
  }

  const json* require(const Node& n) {
    const json* v = resolve(n.path);
    if (!v) fail_unknown(n);
    return v;
  }

  // NOTE: a list or object rendered as its JSON text ('Question: ["a","b"]') and a null target
  // rendered as '' gave documents nobody could answer or score, with exit 0 (reviewer 72, F4).
  // `field` names the doc field holding `v`; empty when `v` is what a pipe made of it.
  void check_text(const json& v, const Node& n, const std::string& field) {
    if (!v.is_array() && !v.is_object() && !(v.is_null() && null_ == NullValue::kError)) return;
    const char* what = v.is_array() ? "a list" : v.is_object() ? "an object" : "null";
    if (field.empty()) {
      throw input_error(where_, "template tag '{{" + n.text + "}}' gives " + what +
                                    ", not text (doc " + std::string(scope_.source) + ")");
    }
    throw input_error(std::string(scope_.source),
                      "field '" + field + "' is " + what + " (expected a string)");
  }

  [[noreturn]] void fail_unknown(const Node& n) {
    std::string what = lookup_first(n.path[0].key) ? "cannot resolve '" + n.text + "'"
                                                   : "unknown variable '" + n.path[0].key + "'";
    throw input_error(where_, what + " (doc " + std::string(scope_.source) + ")");
  }

  const json* lookup_first(const std::string& name) {
    if (!loops_.empty()) {
      const LoopFrame& f = loops_.back();
      if (name == "item") return f.item;
      if (name == "index") return &f.index;
      if (name == "number") return &f.number;
      if (name == "letter") return &f.letter;
      if (name == "is_last") return &f.is_last;
    }
    for (const json* obj : {scope_.extra, scope_.reserved, scope_.doc}) {
      if (!obj || !obj->is_object()) continue;
      auto it = obj->find(name);
      if (it != obj->end()) return &*it;
    }
    return nullptr;
  }

  const json* resolve(const std::vector<Segment>& path) {
    const json* v = lookup_first(path[0].key);
    for (size_t i = 1; v && i < path.size(); ++i) {
      const Segment& s = path[i];
      if (s.is_index) {
        if (!v->is_array()) return nullptr;
        long idx = s.index < 0 ? static_cast<long>(v->size()) + s.index : s.index;
        v = (idx >= 0 && idx < static_cast<long>(v->size())) ? &(*v)[idx] : nullptr;
      } else {
        if (!v->is_object()) return nullptr;
        auto it = v->find(s.key);
        v = it == v->end() ? nullptr : &*it;
      }
    }
    return v;
  }

  const TemplateScope& scope_;
  const std::string& where_;
  NullValue null_;
  std::vector<LoopFrame> loops_;
};

}  // namespace

Template::Template() = default;
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::Template(const Template&) = default;
Template& Template::operator=(const Template&) = default;

Template Template::compile(std::string_view text, std::string where, NullValue null) {
  Template t;
  t.null_ = null;
  t.nodes_ = std::make_shared<const std::vector<Node>>(TemplateParser(where).parse(text));
  t.where_ = std::move(where);
  return t;
}

void Template::render_to(std::string& out, const TemplateScope& scope) const {
  if (!nodes_) return;
  Renderer(scope, where_, null_).render(*nodes_, out);
}

std::string Template::render(const TemplateScope& scope) const {
  std::string out;
  render_to(out, scope);
  return out;
}

json Template::render_value(const TemplateScope& scope) const {
  if (nodes_ && nodes_->size() == 1 && (*nodes_)[0].kind == Node::Kind::kExpr) {
    return Renderer(scope, where_, null_).evaluate((*nodes_)[0]);
  }
  return render(scope);
}

const std::string& Template::where() const { return where_; }
bool Template::empty() const { return !nodes_ || nodes_->empty(); }

}  // namespace moebench
