// A small reader for one JSON object of a spec: typed getters that record which keys were read,
// and finish() that rejects the rest. Every error names the spec file and the field path.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"

namespace moebench {

class SpecFields {
 public:
  // `obj` must outlive the reader; `path` is "" at the top level, else e.g. "prompt.chat".
  SpecFields(const nlohmann::json& obj, std::string display, std::string path);

  bool has(const std::string& key) const;
  std::string str(const std::string& key);  // required
  std::string str(const std::string& key, const std::string& dflt);
  std::string one_of(const std::string& key, const std::vector<std::string>& allowed,
                     const std::string& dflt = "");  // dflt "" = required
  long integer(const std::string& key, long dflt, bool required = false);
  double number(const std::string& key, double dflt);
  bool boolean(const std::string& key, bool dflt);
  std::vector<std::string> strings(const std::string& key, bool required = false);
  // The raw value (any type), marked as read; null when absent.
  const nlohmann::json& any(const std::string& key);
  // A nested object reader; `required` false gives an empty object when absent.
  SpecFields object(const std::string& key, bool required = true);
  const nlohmann::json& array(const std::string& key, bool required = true);

  // InputError for the first key that no getter read.
  void finish() const;

  std::string field(const std::string& key) const;  // "prompt.chat.user"
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  const std::string& display() const { return display_; }
  const std::string& path() const { return path_; }

 private:
  const nlohmann::json* get(const std::string& key);
  const nlohmann::json& obj_;
  std::string display_;
  std::string path_;
  std::set<std::string> read_;
};

}  // namespace moebench
