// json_read_file: every hand-written config (models file, nightly config, suite specs, prices)
// is read through it, so its errors name the file and the field.
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/json_file.h"
#include "tests/catch.h"
#include "tests/input_error_of.h"

namespace {

std::string read_error(const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / "moebench_json_file_test.json";
  std::ofstream(path) << text;
  const std::string error =
      moebench::testing::input_error_of([&] { moebench::json_read_file(path, "f.json", "?"); });
  std::filesystem::remove(path);
  return error;
}

}  // namespace

// A key written twice kept its last value silently: a models file with two max_tokens, a nightly
// entry with two suites lists, ran with one of them.
TEST_CASE("a key that appears twice in one object is an error naming its path", "[json]") {
  CHECK(read_error(R"({"a": 1, "a": 2})") == "f.json: field 'a' appears twice");
  CHECK(read_error(R"({"models": {"m": {"generation": {"max_tokens": 1, "top_p": 1,
                      "max_tokens": 2}}}})") ==
        "f.json: field 'models.m.generation.max_tokens' appears twice");
  CHECK(read_error(R"({"entries": [{"name": "a"}, {"name": "b", "x": [1, {"k": 1, "k": 1}]}]})") ==
        "f.json: field 'entries[1].x[1].k' appears twice");
  // The same key in sibling or nested objects is no duplicate.
  CHECK(read_error(R"({"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}], "c": {"a": {"a": 1}}})") ==
        "(no InputError)");
  CHECK(read_error("{").starts_with("f.json: malformed JSON (parse error at line 1"));
}
