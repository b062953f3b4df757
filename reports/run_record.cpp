// RunRecord: run.json to and from JSON.
#include "reports/run_record.h"

#include "common/error.h"
#include "reports/json_fields.h"

namespace moebench {

using nlohmann::json;

double RunRecord::failed_share() const {
  long failed = 0;
  for (const auto& [type, n] : errors) failed += n;
  return docs > 0 ? static_cast<double>(failed) / static_cast<double>(docs) : 0.0;
}

json RunRecord::to_json() const {
  json by_name = json::object();
  for (const SuiteResult& s : suites) by_name[s.name] = s.to_json();
  json j = {{"schema_version", kRunSchemaVersion},
            {"run_id", run_id},
            {"created", created},
            {"moebench", moebench},
            {"command", command},
            {"host", host},
            {"backend", backend},
            {"options", options},
            {"sandbox", sandbox},
            {"sandbox_accounting", sandbox_accounting},
            {"suites", by_name},
            {"errors", errors},
            {"requests", {{"sent", requests_sent}, {"cache_hits", cache_hits}, {"docs", docs}}},
            {"tokens",
             {{"billed", tokens_json(billed)},
              {"failed_attempts", failed_attempts_json(failed_attempts)}}},
            {"cost", cost},
            {"latency", latency},
            {"throughput",
             {{"prompt_tokens", prompt_tokens},
              {"output_tokens", output_tokens},
              {"prompt_tokens_per_s", prompt_tokens_per_s},
              {"output_tokens_per_s", output_tokens_per_s}}},
            {"timings",
             {{"load_s", load_s},
              {"dispatch_s", dispatch_s},
              {"scoring_s", scoring_s},
              {"write_s", write_s},
              {"total_s", total_s},
              {"docs_per_s", docs_per_s}}}};
  if (!config.is_null()) j["config"] = config;
  if (!rescore.is_null()) j["rescore"] = rescore;
  if (!merge.is_null()) j["merge"] = merge;
  return j;
}

namespace {

void check_schema_version(const json& j, const std::string& where) {
  if (!j.contains("schema_version")) return;  // written before the field existed: version 1
  const json& v = j["schema_version"];
  if (v.is_number_integer() && v.get<long long>() == kRunSchemaVersion) return;
  const bool newer = v.is_number_integer() && v.get<long long>() > kRunSchemaVersion;
  throw input_error(where, "schema_version " + v.dump() + " is not the one this moebench reads (" +
                               std::to_string(kRunSchemaVersion) + ")" +
                               (newer ? "; it was written by a newer moebench" : ""));
}

json object_or_empty(const json& j, const char* key) {
  return j.contains(key) && j[key].is_object() ? j[key] : json::object();
}

}  // namespace

RunRecord RunRecord::from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw input_error(where, "expected a JSON object");
  check_schema_version(j, where);
  RunRecord r;
  if (!json_field(j, "run_id", where, "").is_string())
    throw input_error(where, "field 'run_id' must be a string");
  r.run_id = j["run_id"].get<std::string>();
  r.created = str_or(j, "created");
  r.command = str_or(j, "command");
  r.config = j.value("config", json());
  r.backend = json_field(j, "backend", where, "");
  if (str_or(r.backend, "id").empty()) {
    throw input_error(where, "field 'backend.id' must be a string");
  }
  r.moebench = object_or_empty(j, "moebench");
  r.host = object_or_empty(j, "host");
  r.options = j.value("options", json::object());  // scope_of refuses a non-object by name
  r.rescore = j.value("rescore", json());
  r.merge = j.value("merge", json());
  r.sandbox = str_or(j, "sandbox");
  r.sandbox_accounting = j.value("sandbox_accounting", json());
  if (j.contains("errors") && j["errors"].is_object()) {
    for (const auto& [type, count] : j["errors"].items()) {
      if (count.is_number()) r.errors[type] = count_of(count, where, "errors." + type);
    }
  }
  const json requests = object_or_empty(j, "requests");
  r.requests_sent = count_or(requests, "sent", where, "requests.");
  r.cache_hits = count_or(requests, "cache_hits", where, "requests.");
  r.docs = count_or(requests, "docs", where, "requests.");
  const json tokens = object_or_empty(j, "tokens");
  r.billed = tokens_of(object_or_empty(tokens, "billed"), where, "tokens.billed.");
  r.failed_attempts = failed_attempts_of(object_or_empty(tokens, "failed_attempts"), where,
                                         "tokens.failed_attempts.");
  r.cost = j.value("cost", json());
  r.latency = j.value("latency", json());
  const json throughput = object_or_empty(j, "throughput");
  r.prompt_tokens = count_or(throughput, "prompt_tokens", where, "throughput.");
  r.output_tokens = count_or(throughput, "output_tokens", where, "throughput.");
  r.prompt_tokens_per_s = num_or(throughput, "prompt_tokens_per_s");
  r.output_tokens_per_s = num_or(throughput, "output_tokens_per_s");
  const json timings = object_or_empty(j, "timings");
  r.load_s = num_or(timings, "load_s");
  r.dispatch_s = num_or(timings, "dispatch_s");
  r.scoring_s = num_or(timings, "scoring_s");
  r.write_s = num_or(timings, "write_s");
  r.total_s = num_or(timings, "total_s");
  r.docs_per_s = num_or(timings, "docs_per_s");
  const json& by_name = json_field(j, "suites", where, "");
  if (!by_name.is_object()) throw input_error(where, "field 'suites' must be an object");
  for (const auto& [name, s] : by_name.items()) {
    r.suites.push_back(SuiteResult::from_json(name, s, where));
  }
  return r;
}

}  // namespace moebench
