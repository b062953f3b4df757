// Config files (--config FILE) read as TOML 1.0 by toml++. Each key of a command's [section]
// becomes a CLI11 config item, so CLI11 still places it and runs the flag's own checks; before
// that the value's TOML type is checked against the flag's (a flag takes true or false, an
// integer flag an integer). A file that is not TOML, or a value of the wrong type, is one line
// "FILE:LINE:COL: ...".
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

// The config formatter of `root` (app.config_formatter(std::make_shared<TomlConfig>(&app))).
class TomlConfig : public CLI::Config {
 public:
  explicit TomlConfig(const CLI::App* root) : root_(root) {}
  std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                        std::string prefix) const override;
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;

 private:
  const CLI::App* root_;
};

}  // namespace moebench
