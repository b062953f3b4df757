// The replay backend: re-scores recorded responses without calling a model. Reads a moebench
// samples.jsonl (suite, doc_id, responses, logliks) or a plain {id, response} JSONL.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backends/backend.h"
#include "backends/backend_registry.h"

namespace moebench {

class ReplayBackend : public Backend {
 public:
  // InputError names file:line for a malformed line, one without id/doc_id and response, or a
  // second record of a (suite, doc id, repeat); and the file for a directory or no records.
  explicit ReplayBackend(const std::filesystem::path& file);
  BackendInfo info() const override;
  // InputError naming file:line, the document and both counts for a record with more answers than
  // the request's generation.n_samples (they would be scored as samples of a spec that drew one).
  std::vector<Response> run(const std::vector<Request>& batch) override;
  size_t size() const { return by_key_.size(); }
  // Every (suite, doc id) the file names, in file order, including lines that record an error
  // (those have no response to replay). suite is "" when the line gives none.
  const std::vector<std::pair<std::string, std::string>>& documents() const { return documents_; }
  // 1 + the largest "repeat" of the file's lines (a run with --repeats N has N).
  int repeats() const { return repeats_; }

 private:
  void check_answer_count(const Request& r, const std::string& key, const Response& recorded) const;

  std::filesystem::path file_;
  std::string id_;  // replay_backend_id
  int repeats_ = 1;
  bool all_chat_ = true, any_prompt_ = false;  // every recorded prompt chat messages (info())
  std::unordered_map<std::string, Response> by_key_;
  std::unordered_map<std::string, long> line_of_;  // replay key -> its record's line
  std::vector<std::pair<std::string, std::string>>
      documents_;  // "suite\x1fdoc" or "\x1fdoc" (any suite)
};

// The backend id a ReplayBackend of `file` records ("replay:" and its content's hash), without
// reading its records; InputError as the constructor's for a file it cannot read.
std::string replay_backend_id(const std::filesystem::path& file);

// Registers "replay:<file>" (takes no --backend-opt options).
void replay_register(BackendRegistry& registry);

}  // namespace moebench
