// `data status` names what is wrong with a dataset: the first missing file, a present file of the
// wrong size (not "missing"), and with --verify every corrupt file by its path (reviewer 72,
// finding 9).
#include <fstream>
#include <string>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;

namespace {

// Flips the first byte of `file`, keeping its size.
void flip_first_byte(const fs::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  char c = 0;
  f.get(c);
  f.seekp(0);
  f.put(static_cast<char>(c ^ 1));
}

CommandResult status(const fs::path& dir, const std::string& args) {
  return run_command(
      moebench_bin() + " data status " + args + " --data-dir '" + (dir / "data").string() + "'",
      dir);
}

}  // namespace

TEST_CASE("data status names the first missing file and a file of the wrong size", "[data]") {
  const fs::path dir = temp_dir("data-status-names");
  copy_dataset(dir, "arc");
  copy_dataset(dir, "humaneval");
  fs::remove(dir / "data" / "arc" / "ARC-Challenge-Dev.jsonl");
  fs::resize_file(dir / "data" / "humaneval" / "HumanEval.jsonl.gz", 40125);
  const CommandResult r = status(dir, "arc humaneval");
  INFO(r.output);
  CHECK(r.exit_code == 5);
  CHECK(r.output.find("incomplete 1/2  (first: ARC-Challenge-Dev.jsonl is missing)") !=
        std::string::npos);
  CHECK(r.output.find("wrong size 0/1  (first: HumanEval.jsonl.gz has the wrong size (40125 bytes; "
                      "the table lists ") != std::string::npos);
}

TEST_CASE("data status --verify names every corrupt file by its path", "[data]") {
  const fs::path dir = temp_dir("data-status-corrupt");
  const fs::path data = copy_dataset(dir, "gsm8k");
  flip_first_byte(data / "gsm8k" / "test.jsonl");
  flip_first_byte(data / "gsm8k" / "train.jsonl");
  const CommandResult r = status(dir, "gsm8k --verify");
  INFO(r.output);
  CHECK(r.exit_code == 5);
  for (const char* file : {"test.jsonl", "train.jsonl"}) {
    CHECK(r.output.find("moebench: gsm8k: " + (data / "gsm8k" / file).string() +
                        " differs from its SHA-256") != std::string::npos);
  }
}
