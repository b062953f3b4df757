// Loading and validating the models file: JSON types are checked while parsing, values (dates,
// providers, overlapping price tables) in ModelsFile::validate(); both name the field.
#include "backends/models_file.h"

#include <cctype>
#include <chrono>
#include <ctime>
#include <initializer_list>
#include <limits>

#include "common/error.h"
#include "common/json_file.h"

namespace moebench {
namespace {

using nlohmann::json;

// Where a value sits in the file, for messages: "models.o1.prices[0].per_million".
struct Field {
  const std::string& file;
  std::string path;

  Field child(const std::string& key) const {
    return {file, path.empty() ? key : path + "." + key};
  }
  Field item(size_t i) const { return {file, path + "[" + std::to_string(i) + "]"}; }
  InputError error(const std::string& what) const { return input_error(file, path + ": " + what); }
};

// A table boundary or a time asked about as YYYY-MM-DDTHH:MMZ (a date is its 00:00 UTC), so that
// boundaries compare as strings.
std::string full_instant(const std::string& when) {
  return when.size() == 10 ? when + "T00:00Z" : when;
}

// Unknown fields are errors: a misspelt "max_tokns" would otherwise be silently ignored.
void check_keys(const json& obj, const Field& f, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    std::string list;
    for (const char* a : allowed) {
      known |= key == a;
      list += std::string(list.empty() ? "" : ", ") + a;
    }
    if (!known) throw f.child(key).error("unknown field (expected one of: " + list + ")");
  }
}

const json* member(const json& obj, const Field& f, const char* key, bool required) {
  if (obj.contains(key)) return &obj[key];
  if (required) throw f.child(key).error("missing");
  return nullptr;
}

std::string get_string(const json& obj, const Field& f, const char* key, bool required) {
  const json* v = member(obj, f, key, required);
  if (!v) return "";
  if (!v->is_string()) throw f.child(key).error("expected a string");
  return v->get<std::string>();
}

std::optional<double> get_number(const json& obj, const Field& f, const char* key, bool required) {
  const json* v = member(obj, f, key, required);
  if (!v) return std::nullopt;
  if (!v->is_number()) throw f.child(key).error("expected a number");
  return v->get<double>();
}

// max: the field's type's range; a value past it is an error (it was narrowed).
std::optional<long> get_integer(const json& obj, const Field& f, const char* key, bool required,
                                long max = std::numeric_limits<long>::max()) {
  const json* v = member(obj, f, key, required);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) throw f.child(key).error("expected an integer");
  if ((v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(max)) ||
      (!v->is_number_unsigned() && v->get<long>() > max)) {
    throw f.child(key).error("must be at most " + std::to_string(max));
  }
  return v->get<long>();
}

std::optional<int> get_int(const json& obj, const Field& f, const char* key,
                           bool required = false) {
  return get_integer(obj, f, key, required, std::numeric_limits<int>::max());
}

std::optional<bool> get_bool(const json& obj, const Field& f, const char* key) {
  const json* v = member(obj, f, key, false);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) throw f.child(key).error("expected true or false");
  return v->get<bool>();
}

const json& get_object(const json& obj, const Field& f, const char* key) {
  const json* v = member(obj, f, key, true);
  if (!v->is_object()) throw f.child(key).error("expected an object");
  return *v;
}

// "HH:MM" (24:00 allowed as an end) as minutes after 00:00, or -1.
int clock_minutes(const std::string& s) {
  if (s.size() != 5 || s[2] != ':' || !std::isdigit(static_cast<unsigned char>(s[0])) ||
      !std::isdigit(static_cast<unsigned char>(s[1])) ||
      !std::isdigit(static_cast<unsigned char>(s[3])) ||
      !std::isdigit(static_cast<unsigned char>(s[4]))) {
    return -1;
  }
  const int h = std::stoi(s.substr(0, 2)), m = std::stoi(s.substr(3, 2));
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

ModelOffPeak parse_off_peak(const json& j, const Field& f) {
  if (!j.is_object()) throw f.error("expected an object");
  check_keys(j, f, {"utc", "per_million", "note"});
  ModelOffPeak o;
  o.utc = get_string(j, f, "utc", true);
  const size_t dash = o.utc.find('-');
  o.start_min = dash == 5 ? clock_minutes(o.utc.substr(0, 5)) : -1;
  o.end_min = dash == 5 ? clock_minutes(o.utc.substr(6)) : -1;
  if (o.start_min < 0 || o.start_min == 24 * 60 || o.end_min < 0 || o.start_min == o.end_min) {
    throw f.child("utc").error("'" + o.utc +
                               "' is not a UTC window HH:MM-HH:MM (e.g. 16:30-00:30) of two "
                               "different times");
  }
  const Field pm = f.child("per_million");
  const json& per_million = get_object(j, f, "per_million");
  check_keys(per_million, pm, {"input_cache_hit", "input", "output"});
  o.input_cache_hit = *get_number(per_million, pm, "input_cache_hit", true);
  o.input = *get_number(per_million, pm, "input", true);
  o.output = *get_number(per_million, pm, "output", true);
  for (auto [key, v] : {std::pair{"input_cache_hit", o.input_cache_hit},
                        std::pair{"input", o.input}, std::pair{"output", o.output}}) {
    if (!(v >= 0)) throw pm.child(key).error("must be >= 0");
  }
  return o;
}

// `cache_write_default`: what a cache write costs per input price when the table does not say.
ModelPrice parse_price(const json& j, const Field& f, double cache_write_default) {
  if (!j.is_object()) throw f.error("expected an object");
  check_keys(j, f,
             {"currency", "effective_from", "effective_until", "per_million", "off_peak", "note"});
  ModelPrice p;
  p.currency = get_string(j, f, "currency", true);
  p.effective_from = get_string(j, f, "effective_from", true);
  p.effective_until = get_string(j, f, "effective_until", false);
  const Field pm = f.child("per_million");
  const json& per_million = get_object(j, f, "per_million");
  check_keys(per_million, pm, {"input_cache_hit", "input_cache_write", "input", "output"});
  p.input_cache_hit = *get_number(per_million, pm, "input_cache_hit", true);
  p.input = *get_number(per_million, pm, "input", true);
  p.output = *get_number(per_million, pm, "output", true);
  p.input_cache_write = get_number(per_million, pm, "input_cache_write", false)
                            .value_or(cache_write_default * p.input);
  if (const json* o = member(j, f, "off_peak", false)) {
    p.off_peak = parse_off_peak(*o, f.child("off_peak"));
  }
  return p;
}

void parse_api(const json& a, const Field& f, ModelApi* api) {
  if (!a.is_object()) throw f.error("expected an object");
  check_keys(
      a, f, {"endpoint", "stream", "prompt_logprobs", "n_per_request", "max_tokens_field", "omit"});
  if (a.contains("endpoint")) api->endpoint = get_string(a, f, "endpoint", true);
  if (a.contains("max_tokens_field")) {
    api->max_tokens_field = get_string(a, f, "max_tokens_field", true);
  }
  api->stream = get_bool(a, f, "stream").value_or(api->stream);
  api->prompt_logprobs = get_bool(a, f, "prompt_logprobs").value_or(api->prompt_logprobs);
  api->n_per_request = get_bool(a, f, "n_per_request").value_or(api->n_per_request);
  if (const json* o = member(a, f, "omit", false)) {
    if (!o->is_array()) throw f.child("omit").error("expected an array of parameter names");
    for (size_t i = 0; i < o->size(); ++i) {
      if (!(*o)[i].is_string()) throw f.child("omit").item(i).error("expected a string");
      api->omit.push_back((*o)[i].get<std::string>());
    }
  }
}

void parse_transport(const json& t, const Field& f, ModelTransport* tr) {
  if (!t.is_object()) throw f.error("expected an object");
  check_keys(t, f,
             {"connect_timeout_s", "read_timeout_s", "total_timeout_s", "max_retries",
              "backoff_base_s", "backoff_max_s", "retry_after_max_s", "max_response_mb"});
  tr->connect_timeout_s =
      get_number(t, f, "connect_timeout_s", false).value_or(tr->connect_timeout_s);
  tr->read_timeout_s = get_number(t, f, "read_timeout_s", false).value_or(tr->read_timeout_s);
  tr->total_timeout_s = get_number(t, f, "total_timeout_s", false).value_or(tr->total_timeout_s);
  tr->max_retries = get_int(t, f, "max_retries").value_or(tr->max_retries);
  tr->backoff_base_s = get_number(t, f, "backoff_base_s", false).value_or(tr->backoff_base_s);
  tr->backoff_max_s = get_number(t, f, "backoff_max_s", false).value_or(tr->backoff_max_s);
  tr->retry_after_max_s =
      get_number(t, f, "retry_after_max_s", false).value_or(tr->retry_after_max_s);
  if (auto mb = get_number(t, f, "max_response_mb", false)) {
    tr->max_response_bytes = static_cast<long>(*mb * (1 << 20));
  }
}

ModelEntry parse_model(const std::string& name, const json& j, const Field& f) {
  if (!j.is_object()) throw f.error("expected an object");
  check_keys(j, f,
             {"provider", "base_url", "model", "api_key_env", "prices", "limits", "generation",
              "api", "transport", "note", "published_as"});
  ModelEntry m;
  m.name = name;
  m.published_as = get_string(j, f, "published_as", false);
  m.provider = get_string(j, f, "provider", true);
  m.base_url = get_string(j, f, "base_url", true);
  m.model = get_string(j, f, "model", true);
  m.api_key_env = get_string(j, f, "api_key_env", false);
  const json* prices = member(j, f, "prices", true);
  if (!prices->is_array()) throw f.child("prices").error("expected an array (may be empty)");
  // NOTE: Anthropic bills a 5-minute cache write at 1.25 x the base input price
  // (platform.claude.com/docs/en/about-claude/pricing); the other providers report no writes.
  const double cache_write = m.provider == "anthropic" ? kAnthropicCacheWriteFactor : 1.0;
  for (size_t i = 0; i < prices->size(); ++i) {
    m.prices.push_back(parse_price((*prices)[i], f.child("prices").item(i), cache_write));
  }
  if (const json* l = member(j, f, "limits", false)) {
    const Field lf = f.child("limits");
    if (!l->is_object()) throw lf.error("expected an object");
    check_keys(*l, lf, {"max_in_flight", "requests_per_minute", "tokens_per_minute"});
    m.limits.max_in_flight = get_int(*l, lf, "max_in_flight").value_or(8);
    m.limits.requests_per_minute = get_integer(*l, lf, "requests_per_minute", false).value_or(0);
    m.limits.tokens_per_minute = get_integer(*l, lf, "tokens_per_minute", false).value_or(0);
  }
  if (const json* g = member(j, f, "generation", false)) {
    const Field gf = f.child("generation");
    if (!g->is_object()) throw gf.error("expected an object");
    check_keys(*g, gf, {"temperature", "top_p", "max_tokens", "thinking_budget"});
    m.generation.temperature = get_number(*g, gf, "temperature", false);
    m.generation.top_p = get_number(*g, gf, "top_p", false);
    if (auto t = get_int(*g, gf, "max_tokens")) m.generation.max_tokens = *t;
    if (auto t = get_int(*g, gf, "thinking_budget")) m.generation.thinking_budget = *t;
  }
  // Anthropic has no n and DeepSeek ignores it: their samples are separate requests by default.
  m.api.n_per_request = m.provider != "anthropic" && m.provider != "deepseek";
  if (const json* a = member(j, f, "api", false)) parse_api(*a, f.child("api"), &m.api);
  if (const json* t = member(j, f, "transport", false)) {
    parse_transport(*t, f.child("transport"), &m.transport);
  }
  return m;
}

bool valid_env_name(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool valid_model_name(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':' || c == '/';
    if (!ok) return false;
  }
  return true;
}

void validate_price(const ModelPrice& p, const Field& f) {
  if (p.currency != "USD") {
    throw f.child("currency").error("'" + p.currency + "' is not supported (expected \"USD\")");
  }
  const char* kWhen = "' is not a YYYY-MM-DD date or YYYY-MM-DDTHH:MMZ time (UTC)";
  if (!models_instant_valid(p.effective_from)) {
    throw f.child("effective_from").error("'" + p.effective_from + kWhen);
  }
  if (!p.effective_until.empty()) {
    if (!models_instant_valid(p.effective_until)) {
      throw f.child("effective_until").error("'" + p.effective_until + kWhen);
    }
    if (full_instant(p.effective_until) <= full_instant(p.effective_from)) {
      throw f.child("effective_until")
          .error(p.effective_until + " is not after effective_from " + p.effective_from);
    }
  }
  const Field pm = f.child("per_million");
  for (auto [key, v] :
       {std::pair{"input_cache_hit", p.input_cache_hit}, std::pair{"input", p.input},
        std::pair{"input_cache_write", p.input_cache_write}, std::pair{"output", p.output}}) {
    if (!(v >= 0)) throw pm.child(key).error("must be >= 0");
  }
}

// Tables are sorted by start and do not overlap; only the last may be open-ended. Gaps are
// allowed (no price is known for those dates).
void validate_price_order(const std::vector<ModelPrice>& prices, const Field& f) {
  for (size_t i = 1; i < prices.size(); ++i) {
    const ModelPrice& prev = prices[i - 1];
    const ModelPrice& cur = prices[i];
    const std::string prev_name = "prices[" + std::to_string(i - 1) + "]";
    if (full_instant(cur.effective_from) <= full_instant(prev.effective_from)) {
      throw f.item(i)
          .child("effective_from")
          .error(cur.effective_from + " is not after " + prev_name + "'s " + prev.effective_from +
                 ": tables must be sorted by date");
    }
    if (prev.effective_until.empty()) {
      throw f.item(i - 1)
          .child("effective_until")
          .error("missing, but prices[" + std::to_string(i) + "] starts " + cur.effective_from +
                 ": only the last table may be open-ended");
    }
    if (full_instant(cur.effective_from) < full_instant(prev.effective_until)) {
      throw f.item(i)
          .child("effective_from")
          .error(cur.effective_from + " is before " + prev_name + " ends (" + prev.effective_until +
                 "): tables overlap");
    }
  }
}

void validate_api(const ModelEntry& m, const Field& f) {
  const ModelApi& a = m.api;
  if (a.endpoint != "chat" && a.endpoint != "completions") {
    throw f.child("endpoint").error("'" + a.endpoint + "': expected chat or completions");
  }
  if (m.provider == "anthropic" && (a.endpoint != "chat" || a.prompt_logprobs)) {
    throw f.error("the Anthropic Messages API has only chat and no prompt log-probabilities");
  }
  if (m.provider == "anthropic" && a.n_per_request) {
    throw f.child("n_per_request")
        .error(
            "the Anthropic Messages API returns one answer per request (set it false or leave it "
            "out)");
  }
  if (a.max_tokens_field != "max_tokens" && a.max_tokens_field != "max_completion_tokens") {
    throw f.child("max_tokens_field")
        .error("'" + a.max_tokens_field + "': expected max_tokens or max_completion_tokens");
  }
  for (size_t i = 0; i < a.omit.size(); ++i) {
    const std::string& p = a.omit[i];
    if (p != "temperature" && p != "top_p" && p != "seed" && p != "stop" && p != "stream_options") {
      throw f.child("omit").item(i).error(
          "'" + p + "': expected temperature, top_p, seed, stop or stream_options");
    }
  }
}

void validate_transport(const ModelTransport& t, const Field& f) {
  const std::pair<const char*, double> positive[] = {
      {"connect_timeout_s", t.connect_timeout_s},
      {"read_timeout_s", t.read_timeout_s},
      {"total_timeout_s", t.total_timeout_s},
      {"backoff_base_s", t.backoff_base_s},
      {"backoff_max_s", t.backoff_max_s},
      {"retry_after_max_s", t.retry_after_max_s},
      {"max_response_mb", static_cast<double>(t.max_response_bytes)}};
  for (const auto& [name, v] : positive) {
    if (!(v > 0)) throw f.child(name).error("must be > 0");
  }
  if (t.max_retries < 0) throw f.child("max_retries").error("must be >= 0");
}

void validate_model(const ModelEntry& m, const Field& f) {
  if (!valid_model_name(m.name)) {
    throw f.error("bad model name (letters, digits and - _ . : / only)");
  }
  if (m.provider != "openai" && m.provider != "anthropic" && m.provider != "deepseek" &&
      m.provider != "openai-compatible") {
    throw f.child("provider")
        .error("unknown provider '" + m.provider +
               "' (expected openai, anthropic, deepseek or openai-compatible)");
  }
  if (m.base_url.rfind("http://", 0) != 0 && m.base_url.rfind("https://", 0) != 0) {
    throw f.child("base_url").error("'" + m.base_url + "' is not an http:// or https:// URL");
  }
  if (m.model.empty()) throw f.child("model").error("empty");
  // NOTE: the value is never echoed: a key pasted here by mistake must not reach a log.
  if (!m.api_key_env.empty() && !valid_env_name(m.api_key_env)) {
    throw f.child("api_key_env")
        .error("expected the NAME of an environment variable (e.g. DEEPSEEK_API_KEY), not a key");
  }
  for (size_t i = 0; i < m.prices.size(); ++i)
    validate_price(m.prices[i], f.child("prices").item(i));
  validate_price_order(m.prices, f.child("prices"));
  const Field lf = f.child("limits");
  if (m.limits.max_in_flight < 1) throw lf.child("max_in_flight").error("must be >= 1");
  if (m.limits.requests_per_minute < 0) {
    throw lf.child("requests_per_minute").error("must be >= 0 (0 = no cap)");
  }
  if (m.limits.tokens_per_minute < 0) {
    throw lf.child("tokens_per_minute").error("must be >= 0 (0 = no cap)");
  }
  const Field gf = f.child("generation");
  if (auto t = m.generation.temperature; t && !(*t >= 0 && *t <= 2)) {
    throw gf.child("temperature").error("must be in [0, 2]");
  }
  if (auto n = m.generation.max_tokens; n && *n < 1) {
    throw gf.child("max_tokens").error("must be >= 1");
  }
  if (auto p = m.generation.top_p; p && !(*p > 0 && *p <= 1)) {
    throw gf.child("top_p").error("must be in (0, 1]");
  }
  if (auto n = m.generation.thinking_budget; n && *n < 0) {
    throw gf.child("thinking_budget").error("must be >= 0");
  }
  validate_api(m, f.child("api"));
  validate_transport(m.transport, f.child("transport"));
}

}  // namespace

nlohmann::json ModelPrice::to_json() const {
  json j = {{"currency", currency},
            {"effective_from", effective_from},
            {"per_million",
             {{"input_cache_hit", input_cache_hit},
              {"input", input},
              {"input_cache_write", input_cache_write},
              {"output", output}}}};
  if (!effective_until.empty()) j["effective_until"] = effective_until;
  if (off_peak) j["off_peak"] = off_peak->to_json();
  return j;
}

nlohmann::json ModelOffPeak::to_json() const {
  return {{"utc", utc},
          {"per_million",
           {{"input_cache_hit", input_cache_hit}, {"input", input}, {"output", output}}}};
}

bool ModelOffPeak::contains(std::time_t t) const {
  const int minute = static_cast<int>((t % 86400 + 86400) % 86400 / 60);
  return start_min < end_min ? minute >= start_min && minute < end_min
                             : minute >= start_min || minute < end_min;
}

nlohmann::json ModelPrice::to_backend_prices() const {
  json j = {{"input", input},
            {"cached_input", input_cache_hit},
            {"cache_write_input", input_cache_write},
            {"output", output},
            {"currency", currency},
            {"effective_from", effective_from}};
  if (off_peak) {
    j["off_peak"] = {{"utc", off_peak->utc},
                     {"input", off_peak->input},
                     {"cached_input", off_peak->input_cache_hit},
                     {"output", off_peak->output}};
  }
  return j;
}

nlohmann::json ModelEntry::to_json() const {
  json prices_json = json::array();
  for (const ModelPrice& p : prices) prices_json.push_back(p.to_json());
  json j = {{"provider", provider},
            {"base_url", base_url},
            {"model", model},
            {"prices", prices_json},
            {"limits",
             {{"max_in_flight", limits.max_in_flight},
              {"requests_per_minute", limits.requests_per_minute},
              {"tokens_per_minute", limits.tokens_per_minute}}}};
  if (!api_key_env.empty()) j["api_key_env"] = api_key_env;
  if (!published_as.empty()) j["published_as"] = published_as;
  json gen = json::object();
  if (generation.temperature) gen["temperature"] = *generation.temperature;
  if (generation.top_p) gen["top_p"] = *generation.top_p;
  if (generation.max_tokens) gen["max_tokens"] = *generation.max_tokens;
  if (generation.thinking_budget) gen["thinking_budget"] = *generation.thinking_budget;
  if (!gen.empty()) j["generation"] = gen;
  j["api"] = {{"endpoint", api.endpoint},
              {"stream", api.stream},
              {"prompt_logprobs", api.prompt_logprobs},
              {"n_per_request", api.n_per_request},
              {"max_tokens_field", api.max_tokens_field},
              {"omit", api.omit}};
  j["transport"] = {{"connect_timeout_s", transport.connect_timeout_s},
                    {"read_timeout_s", transport.read_timeout_s},
                    {"total_timeout_s", transport.total_timeout_s},
                    {"max_retries", transport.max_retries},
                    {"backoff_base_s", transport.backoff_base_s},
                    {"backoff_max_s", transport.backoff_max_s},
                    {"retry_after_max_s", transport.retry_after_max_s},
                    {"max_response_mb", transport.max_response_bytes / double(1 << 20)}};
  return j;
}

void ModelsFile::validate() const {
  const Field root{path, ""};
  if (schema != kModelsSchemaVersion) {
    throw root.child("schema").error("version " + std::to_string(schema) +
                                     " is not supported (this moebench reads " +
                                     std::to_string(kModelsSchemaVersion) + ")");
  }
  if (models.empty()) throw root.child("models").error("no models");
  for (const ModelEntry& m : models) validate_model(m, root.child("models").child(m.name));
}

const ModelEntry* ModelsFile::find(const std::string& name) const {
  for (const ModelEntry& m : models) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const ModelEntry& ModelsFile::at(const std::string& name) const {
  if (const ModelEntry* m = find(name)) return *m;
  std::string known;
  for (const ModelEntry& m : models) known += (known.empty() ? "" : ", ") + m.name;
  throw input_error(path, "no model '" + name + "' (the file has: " + known + ")");
}

ModelsFile models_file_parse(const nlohmann::json& j, const std::string& path) {
  const Field root{path, ""};
  if (!j.is_object()) throw input_error(path, "expected a JSON object");
  check_keys(j, root, {"schema", "models", "note"});
  ModelsFile file;
  file.path = path;
  file.schema = *get_int(j, root, "schema", true);
  // A newer schema may not parse as this one: say so before any field error.
  if (file.schema != kModelsSchemaVersion) file.validate();
  const json& models = get_object(j, root, "models");
  for (const auto& [name, entry] : models.items()) {
    file.models.push_back(parse_model(name, entry, root.child("models").child(name)));
  }
  file.validate();
  return file;
}

ModelsFile models_file_load(const std::string& path) {
  return models_file_parse(json_read_file(path, path, "cannot read (--models or $MOEBENCH_MODELS)"),
                           path);
}

std::optional<ModelPrice> models_price_at(const ModelEntry& model, const std::string& when) {
  const std::string at = full_instant(when);
  for (const ModelPrice& p : model.prices) {
    if (full_instant(p.effective_from) <= at &&
        (p.effective_until.empty() || at < full_instant(p.effective_until))) {
      return p;
    }
  }
  return std::nullopt;
}

bool models_instant_valid(const std::string& s) {
  if (s.size() == 10) return models_date_valid(s);
  if (s.size() != 17 || s[10] != 'T' || s[16] != 'Z') return false;
  const int minutes = clock_minutes(s.substr(11, 5));
  return models_date_valid(s.substr(0, 10)) && minutes >= 0 && minutes < 24 * 60;
}

std::string models_instant_at(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%MZ", &tm);
  return buf;
}

std::time_t models_instant_time(const std::string& when) {
  const std::string at = full_instant(when);
  std::tm tm{};
  tm.tm_year = std::stoi(at.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(at.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(at.substr(8, 2));
  tm.tm_hour = std::stoi(at.substr(11, 2));
  tm.tm_min = std::stoi(at.substr(14, 2));
  return timegm(&tm);
}

bool models_date_valid(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{std::stoi(s.substr(0, 4))},
                                        std::chrono::month{unsigned(std::stoi(s.substr(5, 2)))},
                                        std::chrono::day{unsigned(std::stoi(s.substr(8, 2)))}};
  return ymd.ok();
}

}  // namespace moebench
