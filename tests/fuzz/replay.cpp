// Fuzz target: a replay file (a samples.jsonl or {id, response} JSONL) through the replay
// backend's constructor, then a batch asking for every document it names.
#include "backends/validation/replay.h"

#include <vector>

#include "common/error.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = moebench::fuzz::fuzz_write_file(data, size, "samples.jsonl");
  try {
    moebench::ReplayBackend replay(file);
    replay.info();
    std::vector<moebench::Request> batch;
    for (const auto& [suite, doc] : replay.documents()) {
      moebench::Request r;
      r.suite = suite;
      r.doc_id = doc;
      batch.push_back(std::move(r));
    }
    replay.run(batch);
  } catch (const moebench::InputError&) {
  }
  return 0;
}
