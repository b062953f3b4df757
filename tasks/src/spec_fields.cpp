// SpecFields: typed, path-naming access to one object of a suite spec.
#include "tasks/src/spec_fields.h"

namespace moebench {

using nlohmann::json;

namespace {

const json& empty_object() {
  static const json kEmpty = json::object();
  return kEmpty;
}

const json& null_value() {
  static const json kNull;
  return kNull;
}

}  // namespace

SpecFields::SpecFields(const json& obj, std::string display, std::string path)
    : obj_(obj), display_(std::move(display)), path_(std::move(path)) {}

std::string SpecFields::field(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void SpecFields::fail(const std::string& key, const std::string& what) const {
  throw input_error(display_, "field '" + field(key) + "': " + what);
}

bool SpecFields::has(const std::string& key) const { return obj_.contains(key); }

const json* SpecFields::get(const std::string& key) {
  read_.insert(key);
  auto it = obj_.find(key);
  return it == obj_.end() ? nullptr : &*it;
}

std::string SpecFields::str(const std::string& key) {
  const json* v = get(key);
  if (!v) fail(key, "missing required field");
  if (!v->is_string()) fail(key, "expected a string");
  return v->get<std::string>();
}

std::string SpecFields::str(const std::string& key, const std::string& dflt) {
  return has(key) ? str(key) : (read_.insert(key), dflt);
}

std::string SpecFields::one_of(const std::string& key, const std::vector<std::string>& allowed,
                               const std::string& dflt) {
  std::string v = dflt.empty() ? str(key) : str(key, dflt);
  for (const std::string& a : allowed) {
    if (v == a) return v;
  }
  std::string list;
  for (const std::string& a : allowed) list += (list.empty() ? "" : " | ") + a;
  fail(key, "expected one of " + list + ", got '" + v + "'");
}

long SpecFields::integer(const std::string& key, long dflt, bool required) {
  const json* v = get(key);
  if (!v) {
    if (required) fail(key, "missing required field");
    return dflt;
  }
  if (!v->is_number_integer()) fail(key, "expected an integer");
  return v->get<long>();
}

double SpecFields::number(const std::string& key, double dflt) {
  const json* v = get(key);
  if (!v) return dflt;
  if (!v->is_number()) fail(key, "expected a number");
  return v->get<double>();
}

bool SpecFields::boolean(const std::string& key, bool dflt) {
  const json* v = get(key);
  if (!v) return dflt;
  if (!v->is_boolean()) fail(key, "expected true or false");
  return v->get<bool>();
}

std::vector<std::string> SpecFields::strings(const std::string& key, bool required) {
  const json* v = get(key);
  if (!v) {
    if (required) fail(key, "missing required field");
    return {};
  }
  if (!v->is_array()) fail(key, "expected a list of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) fail(key + "[" + std::to_string(i) + "]", "expected a string");
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

const json& SpecFields::any(const std::string& key) {
  const json* v = get(key);
  return v ? *v : null_value();
}

SpecFields SpecFields::object(const std::string& key, bool required) {
  const json* v = get(key);
  if (!v) {
    if (required) fail(key, "missing required field");
    return SpecFields(empty_object(), display_, field(key));
  }
  if (!v->is_object()) fail(key, "expected an object");
  return SpecFields(*v, display_, field(key));
}

const json& SpecFields::array(const std::string& key, bool required) {
  const json* v = get(key);
  if (!v) {
    if (required) fail(key, "missing required field");
    static const json kEmpty = json::array();
    return kEmpty;
  }
  if (!v->is_array()) fail(key, "expected a list");
  return *v;
}

void SpecFields::finish() const {
  for (auto it = obj_.begin(); it != obj_.end(); ++it) {
    if (read_.count(it.key())) continue;
    std::string known;
    for (const std::string& k : read_) known += (known.empty() ? "" : ", ") + k;
    fail(it.key(), "unknown field (known here: " + known + ")");
  }
}

}  // namespace moebench
