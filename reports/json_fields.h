// Typed reads of the fields of run.json and samples.jsonl: a field of an unexpected type or size
// is an InputError naming the file (and line) and the field, never a crash.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/token_counts.h"

namespace moebench {

// A field of a JSON object, or InputError naming "file: field 'path'".
const nlohmann::json& json_field(const nlohmann::json& j, const char* key, const std::string& where,
                                 const std::string& path);
// j[key] when it is a string (a number), else `fallback`.
std::string str_or(const nlohmann::json& j, const char* key, const std::string& fallback = "");
double num_or(const nlohmann::json& j, const char* key, double fallback = 0);
// A count held by a JSON number; InputError naming the field for one no long can hold (1e300).
long count_of(const nlohmann::json& v, const std::string& where, const std::string& path);
// j[key] as a count, 0 when absent or not a number.
long count_or(const nlohmann::json& j, const char* key, const std::string& where,
              const std::string& path);
// {prompt, cached_prompt, [cache_write_prompt], completion, reasoning, [off_peak{prompt,
// cached_prompt, completion}]} counts, read and written (the bracketed ones when not 0).
TokenCounts tokens_of(const nlohmann::json& j, const std::string& where, const std::string& path);
nlohmann::json tokens_json(const TokenCounts& t);
// The counts above plus {attempts, usage_missing}, read and written.
FailedAttempts failed_attempts_of(const nlohmann::json& j, const std::string& where,
                                  const std::string& path);
nlohmann::json failed_attempts_json(const FailedAttempts& f);

}  // namespace moebench
