// Config files (--config FILE) read as TOML 1.0 by toml++. Each key of a command's [section]
// becomes a CLI11 config item, so CLI11 still places it and runs the flag's own checks; before
// that the value's TOML type is checked against the flag's (a flag takes true or false, an
// integer flag an integer). A file that is not TOML, or a value of the wrong type, is one line
// "FILE:LINE:COL: ..."; a key CLI11 then refuses (no such flag, a value its check refuses) is
// "FILE:LINE: key 'x' in [s]: ..." from the places kept here (cli_parse_error_message).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace moebench {

// A config file that is not TOML, or holds a value its flag cannot take.
class ConfigFileError : public CLI::ParseError {
 public:
  explicit ConfigFileError(const std::string& message)
      : CLI::ParseError("ConfigFileError", message, CLI::ExitCodes::ConfigError) {}
};

// Where a key of the config file read stands.
struct ConfigPlace {
  std::string item;           // CLI11's name of its item: "run.limit", "rn.--" (a section)
  const CLI::Option* option;  // the flag it sets, or null
  std::string file;
  size_t line = 0;
  std::vector<std::string> path;  // its section: {"model", "bench"}
  std::string key;                // "" for a section's own place
};

// "FILE:LINE: " and, for a key, "key 'limit' in [run]: " ("key 'x': " outside a section).
std::string config_place_text(const ConfigPlace& p);

// The config formatter of `root` (app.config_formatter(std::make_shared<TomlConfig>(&app))).
class TomlConfig : public CLI::Config {
 public:
  explicit TomlConfig(const CLI::App* root) : root_(root) {}
  std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                        std::string prefix) const override;
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
  // The keys and sections of the last file read, in the file's order.
  const std::vector<ConfigPlace>& places() const { return places_; }

 private:
  const CLI::App* root_;
  mutable std::vector<ConfigPlace> places_;
};

}  // namespace moebench
