// Number and list checks for CLI11 options, and the unknown command/option messages.
#include "harness/cli/cli_checks.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "harness/cli/cli_config.h"

namespace moebench {
std::string cli_command_path(const CLI::App* app) {
  std::string path;
  for (const CLI::App* a = app; a; a = a->get_parent())
    path = a->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

std::string cli_config_section(const CLI::App* app) {
  std::string section;
  for (const CLI::App* a = app; a && a->get_parent(); a = a->get_parent())
    section = a->get_name() + (section.empty() ? "" : "." + section);
  return section;
}

namespace {

std::string bound(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long>(v));
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  return s;
}

// Edit distance, for "did you mean".
size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

// The closest of `names` to `word`, or "" when none is close (at most a third of its letters off,
// or the word is a prefix of exactly that name).
std::string nearest(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& n : names) {
    const size_t d = n.rfind(word, 0) == 0 ? 1 : distance(word, n);
    if (d < best_d) {
      best_d = d;
      best = n;
    }
  }
  return best;
}

std::vector<std::string> subcommand_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(s->get_name());
  return names;
}

std::vector<std::string> option_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app->get_options()) {
    for (const std::string& l : o->get_lnames()) names.push_back("--" + l);
  }
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// The --config file given, or "" (its path is parsed before the file is read).
std::string config_file(const CLI::App& app) {
  const CLI::Option* opt = app.get_config_ptr();
  return opt != nullptr && opt->count() > 0 ? opt->as<std::string>() : "";
}

// The config file's keys and sections as read, or null.
const std::vector<ConfigPlace>* config_places(const CLI::App& app) {
  const auto* toml = dynamic_cast<const TomlConfig*>(app.get_config_formatter().get());
  return toml != nullptr ? &toml->places() : nullptr;
}

// A key CLI11 could not place ("run.bakend", "backend", "rn.--"): one line naming the file and
// the key's line (`where`), the section and the nearest flag or command.
std::string config_key_message(const CLI::App& app, const std::string& where, std::string key) {
  for (const char* marker : {".++", ".--"}) {  // a section's start or end: every word a section
    if (key.size() > 3 && key.compare(key.size() - 3, 3, marker) == 0) key.resize(key.size() - 2);
  }
  if (key.empty() || key[0] == '[') return where + "cannot parse '" + key + "'";
  const CLI::App* cur = &app;
  std::string section, rest = key;
  for (size_t dot = rest.find('.'); dot != std::string::npos; dot = rest.find('.')) {
    const std::string word = rest.substr(0, dot);
    const CLI::App* next = nullptr;
    for (const CLI::App* s : cur->get_subcommands([](const CLI::App*) { return true; })) {
      if (s->check_name(word)) next = s;
    }
    if (next == nullptr) {
      const std::string near = nearest(word, subcommand_names(cur));
      return where + "section [" + (section.empty() ? "" : section + ".") + word +
             "] names no command" + (near.empty() ? "" : " (did you mean [" + near + "]?)") +
             "; sections are command names: [run], [report], [model.bench]...";
    }
    section += (section.empty() ? "" : ".") + word;
    cur = next;
    rest = rest.substr(dot + 1);
  }
  if (section.empty()) {
    return where + "key '" + rest + "': outside a section; put it under the command's, e.g. [run]";
  }
  const std::string key_in = "key '" + rest + "' in [" + section + "]: ";
  const std::vector<std::string> subs = subcommand_names(cur);
  if (std::find(subs.begin(), subs.end(), rest) != subs.end()) {
    return where + key_in + "a command; write [" + section + "." + rest + "] for its flags";
  }
  const std::string near = nearest("--" + rest, option_names(cur));
  return where + key_in + "not a flag of '" + cli_command_path(cur) + "'" +
         (near.empty() ? "" : " (did you mean '" + near.substr(2) + "'?)");
}

// True when `word` stands in `text` at `at` as a whole flag name (not "--limit" in "--limits").
bool names_at(const std::string& text, size_t at, const std::string& word) {
  const auto part = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; };
  const size_t end = at + word.size();
  return (at == 0 || !part(text[at - 1])) && (end >= text.size() || !part(text[end]));
}

// True when `argv` gives the flag `option` (which then wins over the config file's key).
bool on_command_line(const CLI::Option& option, int argc, char** argv) {
  for (int k = 1; k < argc; ++k) {
    const std::string arg = argv[k];
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-' && option.check_name(arg.substr(0, arg.find('='))))
      return true;
  }
  return false;
}

// True when the section `path` names the command parsed (or one of the commands on its way).
bool parsed_section(const CLI::App& app, const std::vector<std::string>& path) {
  const CLI::App* cur = &app;
  for (const std::string& word : path) {
    const CLI::App* next = nullptr;
    for (const CLI::App* s : cur->get_subcommands([](const CLI::App*) { return true; })) {
      if (s->check_name(word)) next = s;
    }
    if (next == nullptr || !next->parsed()) return false;
    cur = next;
  }
  return true;
}

// The key of the config file that set the flag an error names first ("--limit: '0' is not ...",
// "Could not convert: --limit = ..."), the flag not given on the command line; or null. CLI11
// reads the keys in the file's order and stops at the first it refuses.
const ConfigPlace* config_value_place(const std::vector<ConfigPlace>& places,
                                      const std::string& what, int argc, char** argv) {
  const ConfigPlace* best = nullptr;
  size_t best_at = std::string::npos;
  for (const ConfigPlace& p : places) {
    if (p.option == nullptr || p.option->get_name().empty()) continue;
    const std::string name = p.option->get_name();
    size_t at = what.find(name);
    while (at != std::string::npos && !names_at(what, at, name)) at = what.find(name, at + 1);
    // NOTE: of two keys naming one flag ([report] and [compare] format), the one CLI11 refused
    // holds the file's value: the other's key came later (none yet) or earlier (and passed).
    if (at == std::string::npos || at > best_at) continue;
    if (at == best_at && (p.option->empty() || p.line < best->line)) continue;
    if (!on_command_line(*p.option, argc, argv)) best = &p, best_at = at;
  }
  return best;
}

// A config-file error CLI11 gave, as "FILE:LINE: key 'x' in [s]: why"; "" when it is not one.
std::string config_error_message(const CLI::App& app, const CLI::ParseError& error, int argc,
                                 char** argv) {
  const std::string file = config_file(app);
  const std::vector<ConfigPlace>* places = config_places(app);
  if (file.empty()) return "";
  const std::string what = error.what();
  if (error.get_name() == "FileError") return "config file '" + file + "' cannot be read";
  if (error.get_name() == "ConfigFileError") return what;  // FILE:LINE:COL: ...
  const std::string unplaced = "INI was not able to parse ";
  if (error.get_name() == "ConfigError" && what.rfind(unplaced, 0) == 0) {
    const std::string item = what.substr(unplaced.size());
    std::string where = "config file '" + file + "': ";
    for (size_t i = 0; places != nullptr && i < places->size(); ++i) {
      const ConfigPlace& p = (*places)[i];
      if (p.item == item) where = p.file + ":" + std::to_string(p.line) + ": ";
    }
    return config_key_message(app, where, item);
  }
  if (places == nullptr) return "";
  for (const ConfigPlace& p : *places) {  // "run.help: This option is not allowed in a ..."
    if (what.rfind(p.item + ": ", 0) == 0 && !p.key.empty()) {
      return config_place_text(p) + what.substr(p.item.size() + 2);
    }
  }
  const ConfigPlace* p = config_value_place(*places, what, argc, argv);
  if (p == nullptr) return "";
  const std::string flag = p->option->get_name() + ": ";
  return config_place_text(*p) + (what.rfind(flag, 0) == 0 ? what.substr(flag.size()) : what);
}

}  // namespace

std::string cli_config_value_error(const CLI::App& app, const std::string& message, int argc,
                                   char** argv) {
  const std::vector<ConfigPlace>* places = config_places(app);
  if (places == nullptr || config_file(app).empty() || message.rfind("--", 0) != 0) return "";
  size_t end = 2;
  while (end < message.size() && (std::isalnum(static_cast<unsigned char>(message[end])) ||
                                  message[end] == '-' || message[end] == '_'))
    ++end;
  const std::string flag = message.substr(0, end);
  std::string rest = message.substr(end);
  if (!rest.empty() && rest[0] != ' ' && rest[0] != ':') return "";  // "--flag=..." or not a flag
  rest.erase(0, rest.find_first_not_of(": "));
  for (const ConfigPlace& p : *places) {
    if (p.option == nullptr || p.key.empty() || !p.option->check_name(flag)) continue;
    if (!parsed_section(app, p.path) || on_command_line(*p.option, argc, argv)) continue;
    return config_place_text(p) + rest;
  }
  return "";
}

CLI::Validator cli_integer(long lo, long hi) {
  const std::string want =
      hi == std::numeric_limits<long>::max()
          ? "an integer >= " + std::to_string(lo)
          : "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        errno = 0;
        char* end = nullptr;
        const long v = std::strtol(s.c_str(), &end, 10);
        if (s.empty() || *end != '\0' || errno == ERANGE || v < lo || v > hi)
          return "'" + s + "' is not " + want;
        return "";
      },
      want);
}

CLI::Validator cli_unsigned() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const bool digits = !s.empty() && std::all_of(s.begin(), s.end(),
                                                      [](char c) { return c >= '0' && c <= '9'; });
        errno = 0;
        if (digits) std::strtoull(s.c_str(), nullptr, 10);
        if (!digits || errno == ERANGE)
          return "'" + s + "' is not an integer from 0 to 18446744073709551615";
        return "";
      },
      "UINT64");
}

CLI::Validator cli_number_above(double lo, bool open, double hi) {
  std::string want = std::string("a number ") + (open ? "> " : ">= ") + bound(lo);
  if (hi != HUGE_VAL) want += " and <= " + bound(hi);
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0' || !std::isfinite(v) || (open ? v <= lo : v < lo) || v > hi)
          return "'" + s + "' is not " + want;
        return "";
      },
      want);
}

CLI::Validator cli_name_list() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        if (s.find_first_not_of(", ") == std::string::npos)
          return "'" + s + "' names nothing (leave the flag out for all)";
        return "";
      },
      "NAME[,NAME...]");
}

CLI::Validator cli_output_file() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        namespace fs = std::filesystem;
        std::error_code ec;
        if (fs::is_directory(s, ec)) return "'" + s + "' is a directory";
        const fs::path parent = fs::path(s).parent_path();
        if (parent.empty()) return "";
        if (!fs::exists(parent, ec)) return "no directory '" + parent.string() + "'";
        if (!fs::is_directory(parent, ec)) return "'" + parent.string() + "' is not a directory";
        return "";
      },
      "FILE");
}

CLI::Validator cli_output_dir() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        namespace fs = std::filesystem;
        std::error_code ec;
        if (fs::exists(s, ec) && !fs::is_directory(s, ec)) {
          return "'" + s + "' is a file, not a directory";
        }
        // The nearest existing parent must be a directory.
        fs::path a = fs::path(s).parent_path();
        while (!a.empty() && !fs::exists(a, ec)) a = a.parent_path();
        if (!a.empty() && !fs::is_directory(a, ec))
          return "'" + a.string() + "' is not a directory";
        return "";
      },
      "DIR");
}

std::string cli_parse_error_message(const CLI::App& app, const CLI::ParseError& error, int argc,
                                    char** argv) {
  const CLI::App* cur = &app;
  int i = 1;
  // The command words: each must name a subcommand of the one before while one is required.
  for (; i < argc && argv[i][0] != '-'; ++i) {
    const std::vector<std::string> subs = subcommand_names(cur);
    if (subs.empty()) break;
    const CLI::App* next = nullptr;
    for (const CLI::App* s : cur->get_subcommands([](const CLI::App*) { return true; })) {
      if (s->check_name(argv[i])) next = s;
    }
    if (!next) {
      const std::string near = nearest(argv[i], subs);
      return "unknown command '" + std::string(argv[i]) + "' for '" + cli_command_path(cur) + "'" +
             (near.empty() ? "" : " (did you mean '" + near + "'?)") +
             "; commands: " + joined(subs);
    }
    cur = next;
  }
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-' || (arg[1] >= '0' && arg[1] <= '9')) continue;
    const std::string name = arg.substr(0, arg.find('='));
    if (cur->get_option_no_throw(name) || app.get_option_no_throw(name)) continue;
    const std::string near = nearest(name, option_names(cur));
    return "unknown option '" + name + "' for '" + cli_command_path(cur) + "'" +
           (near.empty() ? "" : " (did you mean '" + near + "'?)") + "; see " +
           cli_command_path(cur) + " --help";
  }
  const std::string from_file = config_error_message(app, error, argc, argv);
  if (!from_file.empty()) return from_file;
  const std::string what = error.what();
  return what + " (see " + cli_command_path(cur) + " --help)";
}

}  // namespace moebench
