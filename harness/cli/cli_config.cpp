// toml++ reading of --config files for CLI11 (see cli_config.h).
#include "harness/cli/cli_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include "harness/cli/cli_checks.h"

namespace moebench {
namespace {

// A config item and where its key stands in the file, to keep the file's order (toml++ tables
// are sorted by key).
struct Placed {
  toml::source_position at;
  CLI::ConfigItem item;
  const CLI::Option* option;
  std::string key;  // "" for a section's end
};

// What a flag takes, from CLI11: a flag (no value) true or false; else by its type name.
// `any`: a key that is no flag; any value passes, so CLI11 names the key as unknown.
enum class Want { boolean, integer, number, text, any };

struct Walk {
  const CLI::App* root;
  std::string file;
  std::vector<Placed> out;
};

std::string at(const std::string& file, const toml::source_position& p) {
  return file + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": ";
}

std::string section_of(const std::vector<std::string>& path) {
  std::string s;
  for (const std::string& p : path) s += (s.empty() ? "" : ".") + p;
  return s;
}

// "key 'samples' in [run]", or "key 'samples'" outside any section.
std::string key_name(const std::vector<std::string>& path, const std::string& key) {
  return "key '" + key + "'" + (path.empty() ? "" : " in [" + section_of(path) + "]");
}

// The option CLI11 would give the key to (as App::_parse_single_config looks it up), or null.
const CLI::Option* option_of(const CLI::App* root, const std::vector<std::string>& path,
                             const std::string& key) {
  const CLI::App* app = root;
  for (const std::string& word : path) {
    const CLI::App* next = nullptr;
    for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; })) {
      if (s->check_name(word)) next = s;
    }
    if (next == nullptr) return nullptr;
    app = next;
  }
  const CLI::Option* o = app->get_option_no_throw("--" + key);
  if (o == nullptr && key.size() == 1) o = app->get_option_no_throw("-" + key);
  return o != nullptr ? o : app->get_option_no_throw(key);
}

// True when `key` in the section `path` names a command ([model] bench: [model.bench]).
bool names_command(const CLI::App* root, const std::vector<std::string>& path,
                   const std::string& key) {
  std::vector<std::string> inner = path;
  inner.push_back(key);
  const CLI::App* app = root;
  for (const std::string& word : inner) {
    const CLI::App* next = nullptr;
    for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; })) {
      if (s->check_name(word)) next = s;
    }
    if (next == nullptr) return false;
    app = next;
  }
  return true;
}

Want want_of(const CLI::Option* o) {
  if (o == nullptr) return Want::any;  // CLI11 reports the key as not a flag
  if (o->get_expected_min() == 0) return Want::boolean;
  const std::string type = o->get_type_name();
  const std::string base = type.substr(0, type.find(':'));
  if (base == "INT" || base == "UINT") return Want::integer;
  if (base == "FLOAT") return Want::number;
  if (base == "BOOLEAN") return Want::boolean;
  return Want::text;
}

const char* want_words(Want w) {
  switch (w) {
    case Want::boolean:
      return "true or false";
    case Want::integer:
      return "an integer";
    case Want::number:
      return "a number";
    case Want::text:
      return "a string";
    case Want::any:
      return "a value";
  }
  return "";
}

// "the string \"yes\"", "the integer 1", "an inline table"...
std::string described(const toml::node& v) {
  std::ostringstream s;
  if (const auto* t = v.as_string()) return "the string \"" + t->get() + "\"";
  if (v.is_integer() || v.is_floating_point() || v.is_boolean()) {
    s << (v.is_integer() ? "the integer " : v.is_boolean() ? "the boolean " : "the float ");
    v.visit([&](const auto& n) { s << n; });
    return s.str();
  }
  if (const auto* t = v.as_table()) return t->is_inline() ? "an inline table" : "a table";
  if (v.is_array()) return "an array";
  return "a date or time";
}

std::string number_text(double d) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

// The scalar `v` as CLI11 reads it, or why the flag cannot take it.
bool scalar_text(const toml::node& v, Want want, std::string* text) {
  if (const auto* b = v.as_boolean(); b && (want == Want::boolean || want == Want::any)) {
    *text = b->get() ? "true" : "false";
    return true;
  }
  if (const auto* i = v.as_integer(); i && want != Want::boolean) {
    *text = std::to_string(i->get());
    return true;
  }
  if (const auto* f = v.as_floating_point();
      f && (want == Want::number || want == Want::text || want == Want::any)) {
    *text = number_text(f->get());
    return true;
  }
  if (const auto* s = v.as_string(); s && (want == Want::text || want == Want::any)) {
    *text = s->get();
    return true;
  }
  return false;
}

// One key's value: a scalar, or an array of scalars (each of the flag's type).
void add_value(Walk& w, const std::vector<std::string>& path, const toml::key& key,
               const toml::node& v) {
  const CLI::Option* option = option_of(w.root, path, std::string(key.str()));
  const Want want = want_of(option);
  const std::string name = key_name(path, std::string(key.str()));
  CLI::ConfigItem item{path, std::string(key.str()), {}};
  auto refuse = [&](const toml::node& bad, const std::string& what) {
    throw ConfigFileError(at(w.file, bad.source().begin) + name + ": takes " + want_words(want) +
                          ", not " + what);
  };
  if (want == Want::any) {
    item.inputs.push_back("");  // whatever its value, CLI11 names the key as no flag
  } else if (const auto* arr = v.as_array()) {
    if (want == Want::boolean) refuse(v, "an array");
    if (option != nullptr && arr->size() > 1 && option->get_items_expected_max() <= 1 &&
        option->get_multi_option_policy() == CLI::MultiOptionPolicy::Throw) {
      refuse(v, "an array of " + std::to_string(arr->size()));
    }
    for (const toml::node& e : *arr) {
      std::string text;
      // A list of names holds strings: `suites = ["gsm8k", 3]` is not suite '3'.
      if (!scalar_text(e, want, &text) || (want == Want::text && !e.is_string()))
        refuse(e, described(e) + " in an array");
      item.inputs.push_back(text);
    }
  } else {
    std::string text;
    if (!scalar_text(v, want, &text)) refuse(v, described(v));
    item.inputs.push_back(text);
  }
  w.out.push_back({key.source().begin, std::move(item), option, std::string(key.str())});
}

void walk_table(Walk& w, const std::vector<std::string>& path, const toml::table& table) {
  if (!path.empty()) {  // the section's end for CLI11: refused when it names no command
    CLI::ConfigItem end{std::vector<std::string>(path.begin(), path.end() - 1), "--", {}};
    end.parents.push_back(path.back());
    w.out.push_back({table.source().begin, std::move(end), nullptr, ""});
  }
  for (const auto& [key, v] : table) {
    const std::string k(key.str());
    const CLI::Option* flag = path.empty() ? nullptr : option_of(w.root, path, k);
    const auto* t = v.as_table();
    if (t && !t->is_inline() && !t->empty() && flag != nullptr &&
        !names_command(w.root, path, k)) {  // `limit.x = 0` in [run]: TOML reads a table
      throw ConfigFileError(at(w.file, key.source().begin) + key_name(path, k) + ": takes " +
                            want_words(want_of(flag)) + ", not a table (TOML reads '" + k + "." +
                            std::string(t->begin()->first.str()) + " = ...' as one)");
    }
    if (t && !t->is_inline()) {
      std::vector<std::string> inner = path;
      inner.push_back(k);
      walk_table(w, inner, *t);
    } else if (t && !path.empty() && flag == nullptr) {
      add_value(w, path, key, v);  // a key that is no flag is named as such whatever its value
    } else if (t) {
      throw ConfigFileError(at(w.file, key.source().begin) + key_name(path, k) +
                            ": an inline table; a flag takes a value or an array of values" +
                            (path.empty() ? ", a command's flags go under [" + k + "]" : ""));
    } else if (const auto* a = v.as_array();
               a && a->is_array_of_tables() && !a->empty() && !a->front().as_table()->is_inline()) {
      std::vector<std::string> inner = path;
      inner.push_back(k);
      throw ConfigFileError(at(w.file, key.source().begin) + "[[" + section_of(inner) +
                            "]] is an array of tables; a command's flags go in one [" +
                            section_of(inner) + "] table");
    } else {
      add_value(w, path, key, v);
    }
  }
}

// The --config file given (its path is parsed before the file is read).
std::string config_path(const CLI::App* root) {
  const CLI::Option* opt = root->get_config_ptr();
  return opt != nullptr && opt->count() > 0 ? opt->as<std::string>() : "config";
}

}  // namespace

std::string config_place_text(const ConfigPlace& p) {
  std::string s = p.file + ":" + std::to_string(p.line) + ": ";
  return p.key.empty() ? s : s + key_name(p.path, p.key) + ": ";
}

std::string TomlConfig::to_config(const CLI::App* app, bool default_also, bool write_description,
                                  std::string prefix) const {
  return CLI::ConfigTOML().to_config(app, default_also, write_description, std::move(prefix));
}

std::vector<CLI::ConfigItem> TomlConfig::from_config(std::istream& input) const {
  std::ostringstream text;
  text << input.rdbuf();
  Walk w{root_, config_path(root_), {}};
  toml::table doc;
  try {
    doc = toml::parse(text.str(), w.file);
  } catch (const toml::parse_error& e) {
    throw ConfigFileError(at(w.file, e.source().begin) + std::string(e.description()));
  }
  walk_table(w, {}, doc);
  std::stable_sort(w.out.begin(), w.out.end(), [](const Placed& a, const Placed& b) {
    return a.at.line != b.at.line ? a.at.line < b.at.line : a.at.column < b.at.column;
  });
  std::vector<CLI::ConfigItem> items;
  places_.clear();
  for (Placed& p : w.out) {
    // The item's parents are its section, a section's end's the section itself.
    places_.push_back({p.item.fullname(), p.option, w.file, p.at.line, p.item.parents, p.key});
    items.push_back(std::move(p.item));
  }
  return items;
}

}  // namespace moebench
