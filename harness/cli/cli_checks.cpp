// Number and list checks for CLI11 options, and the unknown command/option messages.
#include "harness/cli/cli_checks.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <vector>

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

// A key CLI11 could not place ("run.bakend", "backend", "rn.++", "[run"): one line naming the
// file, the section and the nearest flag or command.
std::string config_key_message(const CLI::App& app, const std::string& file, std::string key) {
  const std::string where = "config file '" + file + "': ";
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
    return where + "'" + rest + "' is outside a section; put it under the command's, e.g. [run]";
  }
  const std::vector<std::string> subs = subcommand_names(cur);
  if (std::find(subs.begin(), subs.end(), rest) != subs.end()) {
    return where + "[" + section + "] holds '" + rest + "'; write [" + section + "." + rest +
           "] for its flags";
  }
  const std::string near = nearest("--" + rest, option_names(cur));
  return where + "'" + rest + "' in [" + section + "] is not a flag of '" + cli_command_path(cur) +
         "'" + (near.empty() ? "" : " (did you mean '" + near.substr(2) + "'?)");
}

}  // namespace

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
  const std::string file = config_file(app);
  const std::string what = error.what();
  if (!file.empty()) {
    const std::string unplaced = "INI was not able to parse ";
    if (error.get_name() == "ConfigError" && what.rfind(unplaced, 0) == 0) {
      return config_key_message(app, file, what.substr(unplaced.size()));
    }
    if (error.get_name() == "FileError") return "config file '" + file + "' cannot be read";
    if (error.get_name() == "ConfigFileError") return what;  // FILE:LINE:COL: ...
    // A bad value read from the file: its flag is not on the command line.
    const size_t colon = what.find(':');
    const std::string flag = what.rfind("--", 0) == 0 ? what.substr(0, colon) : "";
    bool on_line = false;
    for (int k = 1; k < argc && !flag.empty(); ++k) {
      on_line |= std::string(argv[k]).rfind(flag, 0) == 0;
    }
    if (!flag.empty() && !on_line) {
      return what + " (set in config file '" + file + "', section [" + cli_config_section(cur) +
             "])";
    }
  }
  return what + " (see " + cli_command_path(cur) + " --help)";
}

}  // namespace moebench
