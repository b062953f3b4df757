// ReplayBackend: a JSONL file of recorded responses served as a backend.
#include "backends/validation/replay.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "common/error.h"
#include "common/hash.h"
#include "common/thinking.h"

namespace moebench {
namespace {

// Repeat 0 is a document's only answer in a run without --repeats.
std::string replay_key(const std::string& suite, const std::string& doc, int repeat) {
  return suite + '\x1f' + doc + (repeat > 0 ? '\x1f' + std::to_string(repeat) : "");
}

// --repeats takes at most this many (harness/cli/cmd_run.cpp): a record's repeat is below it.
constexpr long kMaxRepeats = 1000;

// The whole file. A directory opens as an empty stream on Linux: it is named here, not replayed
// as a file of no answers (a 0% run of every document not_found).
std::string replay_read_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    const bool run_dir = std::filesystem::is_regular_file(file / "samples.jsonl", ec);
    throw input_error(file.string(), run_dir ? "is a directory (pass its samples.jsonl)"
                                             : "is a directory, not a file of responses");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw input_error(file.string(), "cannot open replay file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The id of a replay backend whose file holds `all`: named by its content, so an edited file or
// another one is another backend (cache entries, nightly's check of a run against its entry).
std::string replay_id_of(const std::string& all) {
  return "replay:" + sha256_hex(all).substr(0, 16);
}

int replay_repeat(const nlohmann::json& j, const std::string& where) {
  const nlohmann::json repeat = j.value("repeat", nlohmann::json(0));
  if (!repeat.is_number_integer() || repeat.get<long>() < 0 || repeat.get<long>() >= kMaxRepeats) {
    throw input_error(
        where, "field 'repeat' must be an integer in [0, " + std::to_string(kMaxRepeats) + ")");
  }
  return repeat.get<int>();
}

// A recorded sample's `tokens` (what its answer took, as run.json's tokens write them): the
// response's recorded_tokens, never this run's usage, so a rescore bills nothing while its
// samples keep them and its thinking.reasoning_tokens is the run's (reasoning null: unknown).
void recorded_tokens(const nlohmann::json& j, const std::string& where, Response* r) {
  if (!j.contains("tokens") || !j["tokens"].is_object()) return;
  const nlohmann::json& t = j["tokens"];
  auto count = [&](const char* key) {
    const nlohmann::json v = t.value(key, nlohmann::json(0));
    if (!v.is_number_integer() || v.get<long>() < 0) {
      throw input_error(where, std::string("field 'tokens.") + key + "' must be a count" +
                                   (std::string(key) == "reasoning" ? " or null" : ""));
    }
    return v.get<long>();
  };
  TokenCounts c;
  c.prompt = count("prompt");
  c.cached_prompt = count("cached_prompt");
  c.completion = count("completion");
  c.reasoning_unknown = t.contains("reasoning") && t["reasoning"].is_null();
  if (!c.reasoning_unknown) c.reasoning = count("reasoning");
  r->recorded_tokens = c;
}

// The thinking a samples.jsonl recorded, served as the model wrote it: each answer whose sample
// kept a reasoning, even an empty one (Qwen3's `<think>\n\n</think>`), gets it back inline before
// the answer (`<think>R</think>answer`), and an empty answer of a sample flagged
// truncated_thinking as a thinking still open (`<think>R`), so scoring splits, keeps and flags it
// as the run did (common/thinking's rule).
void recorded_thinking(const nlohmann::json& j, const std::string& where, Response* r) {
  std::vector<std::string> reasoning;
  if (j.contains("reasoning") && !j["reasoning"].is_null()) {
    if (!j["reasoning"].is_array()) throw input_error(where, "field 'reasoning' must be a list");
    for (const auto& t : j["reasoning"]) {
      if (!t.is_string()) throw input_error(where, "field 'reasoning' must hold strings");
      reasoning.push_back(t.get<std::string>());
    }
  }
  const bool truncated = j.value("truncated_thinking", nlohmann::json(false)) == true;
  for (size_t i = 0; i < r->texts.size(); ++i) {
    std::string& text = r->texts[i];
    const bool open = truncated && thinking_blank(text);
    const std::string thought = i < reasoning.size() ? reasoning[i] : "";
    if (open) {
      text = kThinkOpen + thought;
    } else if (i < reasoning.size()) {
      text = kThinkOpen + thought + kThinkClose + text;
    }
  }
  recorded_tokens(j, where, r);
}

Response response_from_line(const nlohmann::json& j, const std::string& where) {
  Response r;
  if (j.contains("responses") && j["responses"].is_array()) {
    for (const auto& t : j["responses"]) {
      if (!t.is_string()) throw input_error(where, "field 'responses' must hold strings");
      r.texts.push_back(t.get<std::string>());
    }
  } else if (j.contains("response") && j["response"].is_string()) {
    r.texts.push_back(j["response"].get<std::string>());
  } else if (!j.contains("logliks")) {
    throw input_error(where, "needs 'response' (string), 'responses' (list) or 'logliks'");
  }
  // The recorded finish reasons ("length": cut at the token limit), so the rescore counts them.
  if (j.contains("finish_reasons") && j["finish_reasons"].is_array()) {
    for (const auto& why : j["finish_reasons"]) {
      if (!why.is_string()) throw input_error(where, "field 'finish_reasons' must hold strings");
      r.finish_reasons.push_back(why.get<std::string>());
    }
  }
  recorded_thinking(j, where, &r);
  if (j.contains("logliks") && !j["logliks"].is_null()) {
    const nlohmann::json& l = j["logliks"];
    if (!l.is_array()) throw input_error(where, "field 'logliks' must be a list of numbers");
    for (const auto& v : l) {
      // NOTE: nlohmann writes a non-finite double as null; the one a log-likelihood takes is -inf.
      if (v.is_null()) {
        r.logliks.push_back(-std::numeric_limits<double>::infinity());
        continue;
      }
      if (!v.is_number()) throw input_error(where, "field 'logliks' must be a list of numbers");
      r.logliks.push_back(v.get<double>());
    }
  }
  return r;
}

// A recorded failure fails again as it did (a content_filter stays one, with its message).
// A scoring failure was the scorer's, not the answer's: its responses are scored again.
std::optional<Response> recorded_failure(const nlohmann::json& j, const std::string& where) {
  if (!j.contains("error") || j["error"].is_null()) return std::nullopt;
  const nlohmann::json& e = j["error"];
  if (!e.is_object() || !e.contains("type") || !e["type"].is_string()) {
    throw input_error(where, "field 'error.type' must be a string");
  }
  const ErrorType type =
      error_type_parse(e["type"].get<std::string>(), where + ": field 'error.type'");
  if (type == ErrorType::scoring && (j.contains("responses") || j.contains("response"))) {
    return std::nullopt;
  }
  Response r;
  r.error = ResponseError{type, e.contains("message") && e["message"].is_string()
                                    ? e["message"].get<std::string>()
                                    : "recorded as failed"};
  if (j.contains("finish_reasons") && j["finish_reasons"].is_array()) {
    for (const auto& why : j["finish_reasons"]) {
      if (why.is_string()) r.finish_reasons.push_back(why.get<std::string>());
    }
  }
  return r;
}

}  // namespace

ReplayBackend::ReplayBackend(const std::filesystem::path& file) : file_(file) {
  const std::string all = replay_read_file(file);
  id_ = replay_id_of(all);
  std::istringstream lines(all);
  std::string line;
  long n = 0;
  while (std::getline(lines, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = file.string() + ":" + std::to_string(n);
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw input_error(where, "malformed JSON line");
    std::string doc;
    if (j.contains("doc_id") && j["doc_id"].is_string()) {
      doc = j["doc_id"];
    } else if (j.contains("id") && (j["id"].is_string() || j["id"].is_number())) {
      doc = j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump();
    } else {
      throw input_error(where, "needs a string 'doc_id' or 'id'");
    }
    if (j.contains("suite") && !j["suite"].is_string() && !j["suite"].is_null()) {
      throw input_error(where, "field 'suite' must be a string");
    }
    std::string suite =
        j.contains("suite") && j["suite"].is_string() ? j["suite"].get<std::string>() : "";
    const int repeat = replay_repeat(j, where);
    const std::string key = replay_key(suite, doc, repeat);
    if (const auto [it, first] = line_of_.emplace(key, n); !first) {
      throw input_error(where, "a second record of " + (suite.empty() ? "" : suite + " ") +
                                   "document '" + doc + "'" +
                                   (repeat > 0 ? " repeat " + std::to_string(repeat) : "") +
                                   " (the first is line " + std::to_string(it->second) + ")");
    }
    documents_.emplace_back(suite, doc);
    repeats_ = std::max(repeats_, repeat + 1);
    if (j.contains("prompt") && !j["prompt"].is_null()) {
      any_prompt_ = true;
      all_chat_ = all_chat_ && j["prompt"].is_array();
    }
    std::optional<Response> failed = recorded_failure(j, where);
    by_key_[key] = failed ? std::move(*failed) : response_from_line(j, where);
  }
  if (documents_.empty()) {
    throw input_error(file.string(), "holds no records (a samples.jsonl or {id, response} JSONL)");
  }
}

BackendInfo ReplayBackend::info() const {
  BackendInfo b;
  b.id = id_;
  b.family = "validation";
  b.chat = true;
  // A run whose every prompt was chat messages (a chat-only API) is replayed as chat-only, so the
  // rescore asks and records its suites in that form (the completion form took no such prompt).
  b.completion = !(all_chat_ && any_prompt_);
  b.loglikelihood = false;
  for (const auto& [k, r] : by_key_) {
    if (!r.logliks.empty()) {
      b.loglikelihood = true;
      break;
    }
  }
  b.details = {{"file", file_.string()}, {"responses", by_key_.size()}};
  return b;
}

// More answers to a document than its spec draws would be scored as that many samples (pass@1 a
// mean over them) under a run.json saying n_samples 1 and temperature 0: refused, naming the flag
// that asks for them as samples. Fewer are left to the metrics (pass@k refuses fewer than k).
void ReplayBackend::check_answer_count(const Request& r, const std::string& key,
                                       const Response& recorded) const {
  const size_t n = static_cast<size_t>(std::max(1, r.generation.n_samples));
  if (!r.continuations.empty() || recorded.texts.size() <= n) return;
  const std::string answers = std::to_string(recorded.texts.size());
  throw input_error(file_.string() + ":" + std::to_string(line_of_.at(key)),
                    (r.suite.empty() ? "" : r.suite + " ") + "document '" + r.doc_id + "'" +
                        (r.repeat > 0 ? " repeat " + std::to_string(r.repeat) : "") + " has " +
                        answers + " answers; the suite asks " + std::to_string(n) +
                        " (generation.n_samples); to score them as " + answers +
                        " samples, pass --gen-kwargs n=" + answers +
                        " (and temperature=T, the one they were drawn at)");
}

std::vector<Response> ReplayBackend::run(const std::vector<Request>& batch) {
  std::vector<Response> out;
  for (const Request& r : batch) {
    std::string key = replay_key(r.suite, r.doc_id, r.repeat);
    auto it = by_key_.find(key);
    if (it == by_key_.end()) it = by_key_.find(key = replay_key("", r.doc_id, r.repeat));
    if (it != by_key_.end()) check_answer_count(r, key, it->second);
    if (it == by_key_.end()) {
      Response miss;
      miss.error = ResponseError{ErrorType::not_found, "no recorded response for " + r.suite + "/" +
                                                           r.doc_id + " in " + file_.string()};
      out.push_back(std::move(miss));
    } else {
      out.push_back(it->second);
    }
  }
  return out;
}

std::string replay_backend_id(const std::filesystem::path& file) {
  return replay_id_of(replay_read_file(file));
}

void replay_register(BackendRegistry& registry) {
  registry.add({"replay", true, "replay:<samples.jsonl>",
                [](const std::string& file, const BackendContext&) {
                  return std::make_unique<ReplayBackend>(file);
                }});
}

}  // namespace moebench
