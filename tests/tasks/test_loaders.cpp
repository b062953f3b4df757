// Tests of the dataset loaders: CSV edge cases (RFC 4180), JSONL errors with line numbers,
// gzip JSONL, the GAOKAO-Bench layout and split globbing.
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/error.h"
#include "tasks/src/loaders.h"
#include "tests/catch.h"

namespace fs = std::filesystem;
using moebench::InputError;

namespace {

// A fresh directory under the system temp dir, removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("moebench_tasks_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  fs::path write(const std::string& name, const std::string& text) const {
    fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("csv: quoted commas, doubled quotes, embedded newlines", "[csv]") {
  std::string text = "a,\"b,c\",\"say \"\"hi\"\"\"\n\"multi\nline\",x,\"\"\nlast,row,end";
  auto rows = moebench::csv_parse(text, "t.csv");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].fields == std::vector<std::string>{"a", "b,c", "say \"hi\""});
  CHECK(rows[0].line == 1);
  CHECK(rows[1].fields == std::vector<std::string>{"multi\nline", "x", ""});
  CHECK(rows[1].line == 2);
  CHECK(rows[2].fields == std::vector<std::string>{"last", "row", "end"});
  CHECK(rows[2].line == 4);
}

TEST_CASE("csv: CRLF records, CR LF inside quotes kept, blank lines and BOM skipped", "[csv]") {
  std::string text = "\xEF\xBB\xBFq,a\r\n\r\n\"x\r\ny\",1\r\n";
  auto rows = moebench::csv_parse(text, "t.csv");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].fields == std::vector<std::string>{"q", "a"});
  CHECK(rows[1].fields == std::vector<std::string>{"x\r\ny", "1"});
  CHECK(rows[1].line == 3);
  CHECK(moebench::csv_parse("", "t.csv").empty());
  CHECK(moebench::csv_parse("a,b", "t.csv").size() == 1);
}

TEST_CASE("csv: unterminated quote names its line", "[csv]") {
  CHECK(error_of([] { moebench::csv_parse("a,b\nc,\"open\nmore", "t.csv"); }) ==
        "t.csv:2: unterminated quoted field");
}

TEST_CASE("csv records: with and without header, wrong column count gives the start line",
          "[csv]") {
  std::vector<std::string> cols = {"question", "A", "B", "C", "D", "answer"};
  auto recs =
      moebench::loader_parse_csv("q1,1,2,3,4,A\n\"q\n2\",1,2,3,4,B\n", "m.csv", false, cols);
  REQUIRE(recs.size() == 2);
  CHECK(recs[1].fields["question"] == "q\n2");
  CHECK(recs[1].fields["answer"] == "B");
  CHECK(recs[1].line == 2);

  auto with_header =
      moebench::loader_parse_csv("id,question,answer\n0,\"x, y\",C\n", "c.csv", true, {});
  REQUIRE(with_header.size() == 1);
  CHECK(with_header[0].fields["question"] == "x, y");

  auto renamed = moebench::loader_parse_csv(",Question,Answer\n0,q,B\n", "c.csv", true,
                                            {"index", "Question", "Answer"});
  CHECK(renamed[0].fields["index"] == "0");

  std::string text = "q1,1,2,3,4,A\n\"multi\nline\",1,2,3,4,B\n\"broken\nrow\",1,2,3,C\n";
  CHECK(error_of([&] { moebench::loader_parse_csv(text, "m.csv", false, cols); }) ==
        "m.csv:4: expected 6 columns, got 5");
}

TEST_CASE("jsonl: blank lines skipped, malformed line named with its number", "[jsonl]") {
  auto recs = moebench::loader_parse_jsonl("{\"a\": 1}\n\n{\"a\": 2}\n", "d.jsonl");
  REQUIRE(recs.size() == 2);
  CHECK(recs[1].line == 3);
  CHECK(recs[1].fields["a"] == 2);
  std::string err =
      error_of([] { moebench::loader_parse_jsonl("{\"a\": 1}\n{\"a\": }\n", "d.jsonl"); });
  CHECK(err.rfind("d.jsonl:2: malformed JSON (", 0) == 0);
  CHECK(error_of([] { moebench::loader_parse_jsonl("[1]\n", "d.jsonl"); }) ==
        "d.jsonl:1: malformed JSON (expected an object)");
}

// Found by tests/fuzz/loader_jsonl.cpp and loader_gaokao.cpp: nlohmann reports a number beyond a
// double's range as out_of_range, not parse_error, and it escaped as an internal error.
TEST_CASE("jsonl, gaokao: a number too large for a double is malformed JSON", "[jsonl]") {
  CHECK(error_of([] {
          moebench::loader_parse_jsonl("{\"a\": 1}\n{\"a\": 6.9e329}\n", "d.jsonl");
        }).rfind("d.jsonl:2: malformed JSON (number overflow", 0) == 0);
  CHECK(error_of([] {
          moebench::loader_parse_gaokao("{\"example\": [1e999]}", "g.json");
        }).rfind("g.json: malformed JSON (number overflow", 0) == 0);
}

TEST_CASE("jsonl.gz: loads through zlib", "[jsonl]") {
  TempDir dir;
  fs::path p = dir.path / "x.jsonl.gz";
  gzFile f = gzopen(p.c_str(), "wb");
  std::string body = "{\"task_id\": \"T/0\"}\n{\"task_id\": \"T/1\"}\n";
  gzwrite(f, body.data(), static_cast<unsigned>(body.size()));
  gzclose(f);
  auto recs = moebench::loader_load(p, "jsonl.gz", false, {}, "");
  REQUIRE(recs.size() == 2);
  CHECK(recs[1].fields["task_id"] == "T/1");
}

TEST_CASE("gaokao: examples become records", "[gaokao]") {
  std::string text = R"({"keywords": "k", "example": [{"question": "q1", "answer": ["A"]},
                          {"question": "q2", "answer": ["B", "C"]}]})";
  auto recs = moebench::loader_parse_gaokao(text, "g.json");
  REQUIRE(recs.size() == 2);
  CHECK(recs[1].fields["answer"][1] == "C");
  CHECK(error_of([] {
          moebench::loader_parse_gaokao("{\"keywords\": 1}", "g.json");
        }).find("g.json: expected a GAOKAO-Bench object") == 0);
}

// Reviewer 72, F4: an answer ["b"], [5] or "BC" became a gold no answer could match ('b', '5',
// 'BC' as one sub-question of letters), and the run exited 0.
TEST_CASE("gaokao: an answer that is not a non-empty list of letters A-G is refused", "[gaokao]") {
  auto answer_error = [](const std::string& answer) {
    return error_of([&] {
      moebench::loader_parse_gaokao(
          R"({"example": [{"answer": ["A"]}, {"question": "q", "answer": )" + answer + "}]}",
          "g.json");
    });
  };
  const std::string want = "g.json:example[1]: field 'answer' is ";
  CHECK(answer_error("[\"b\"]") == want + "[\"b\"] (expected a non-empty list of letters A-G)");
  CHECK(answer_error("[5]") == want + "[5] (expected a non-empty list of letters A-G)");
  CHECK(answer_error("\"BC\"") == want + "\"BC\" (expected a non-empty list of letters A-G)");
  CHECK(answer_error("[]") == want + "[] (expected a non-empty list of letters A-G)");
  CHECK(answer_error("[\"\"]") == want + "[\"\"] (expected a non-empty list of letters A-G)");
  CHECK(answer_error("[\"AH\"]") == want + "[\"AH\"] (expected a non-empty list of letters A-G)");
  CHECK(answer_error("null") == want + "null (expected a non-empty list of letters A-G)");
  CHECK(error_of([] {
          moebench::loader_parse_gaokao(R"({"example": [{"question": "q"}]})", "g.json");
        }) ==
        "g.json:example[0]: field 'answer' is missing (expected a non-empty list of letters A-G)");
  CHECK(answer_error("[\"BC\", \"G\"]") == "(no error)");
}

TEST_CASE("missing files and dirs name the path and the hint", "[files]") {
  TempDir dir;
  std::string hint = " (set the data dir with --data-dir or $MOEBENCH_DATA)";
  std::string err =
      error_of([&] { moebench::loader_load(dir.path / "nope.jsonl", "jsonl", false, {}, hint); });
  CHECK(err == (dir.path / "nope.jsonl").string() + ": file not found" + hint);
  err = error_of([&] { moebench::loader_glob(dir.path, "test/*.csv", hint); });
  CHECK(err.find("directory not found") != std::string::npos);
  CHECK(err.find("--data-dir or $MOEBENCH_DATA") != std::string::npos);
}

// Reviewer 72, F8: a data file that is there but cannot be read was "file not found (fetch it
// with ...)"; fetching would not help. A directory stands in for it (EISDIR): tests run as root,
// where mode 000 does not stop a read.
TEST_CASE("a data file that cannot be read says why, not 'file not found'", "[files]") {
  TempDir dir;
  for (const char* format : {"jsonl", "jsonl.gz", "csv", "gaokao_json"}) {
    INFO(format);
    const fs::path p = dir.path / (std::string("x.") + format);
    fs::create_directories(p);
    CHECK(error_of([&] { moebench::loader_load(p, format, false, {"a"}, " (fetch it)"); }) ==
          p.string() + ": cannot read: Is a directory");
  }
  CHECK(error_of([&] {
          moebench::loader_load(dir.path / "gone.jsonl.gz", "jsonl.gz", false, {}, " (fetch it)");
        }) == (dir.path / "gone.jsonl.gz").string() + ": file not found (fetch it)");
}

TEST_CASE("glob: sorted matches in the last component", "[files]") {
  TempDir dir;
  dir.write("test/b_test.csv", "");
  dir.write("test/a_test.csv", "");
  dir.write("test/a_dev.csv", "");
  auto files = moebench::loader_glob(dir.path, "test/*_test.csv", "");
  REQUIRE(files.size() == 2);
  CHECK(files[0].filename() == "a_test.csv");
  CHECK(files[1].filename() == "b_test.csv");
  CHECK(moebench::loader_glob(dir.path, "plain.jsonl", "")[0] == dir.path / "plain.jsonl");
}

namespace {

// A complete gzip file of `body` (gzip wrapper, windowBits 31), or with `finish` false one that
// is flushed but never finished: the stream an interrupted copy leaves.
std::string gzip_bytes(const std::string& body, bool finish) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(body.size() + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  zs.avail_in = static_cast<uInt>(body.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, finish ? Z_FINISH : Z_FULL_FLUSH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

TEST_CASE("jsonl.gz: a cut gzip file is refused as cut and not read as a shorter file", "[jsonl]") {
  TempDir dir;
  std::string body;
  for (int i = 0; i < 200; ++i) body += "{\"task_id\": \"T/" + std::to_string(i) + "\"}\n";
  std::string whole = gzip_bytes(body, true);
  fs::path p = dir.write("x.jsonl.gz", whole);
  CHECK(moebench::loader_load(p, "jsonl.gz", false, {}, "").size() == 200);
  std::string want = p.string() + ": gzip error: unexpected end of file (the file is cut)";
  SECTION("flushed but never finished") { dir.write("x.jsonl.gz", gzip_bytes(body, false)); }
  SECTION("the size trailer cut off") {
    dir.write("x.jsonl.gz", whole.substr(0, whole.size() - 4));
  }
  SECTION("cut in the middle") { dir.write("x.jsonl.gz", whole.substr(0, whole.size() / 2)); }
  CHECK(error_of([&] { moebench::loader_load(p, "jsonl.gz", false, {}, ""); }) == want);
}

TEST_CASE("csv: bytes that are not UTF-8 name the line and column", "[csv]") {
  // CMMLU re-saved as GBK: the bytes reached json::dump as an internal error, exit 1.
  CHECK(error_of([] {
          moebench::loader_parse_csv("q,a\nok,\xE4\xB8\xAD\nx,\xDA\xD5y\n", "c.csv", true, {});
        }) == "c.csv:3: not UTF-8 (byte 0xDA at column 3)");
  CHECK(error_of([] {
          moebench::loader_parse_csv("q,a\n\"x\ny\",\xFF\xFE\n", "c.csv", true, {});
        }) == "c.csv:3: not UTF-8 (byte 0xFF at column 4)");
  CHECK(error_of([] { moebench::loader_parse_csv("q,a\nx,\xE4\xB8\n", "c.csv", true, {}); }) ==
        "c.csv:2: not UTF-8 (byte 0xE4 at column 3)");
  CHECK(moebench::loader_parse_csv("q,a\nx,\xE4\xB8\xAD\xF0\x9F\x98\x80\n", "c.csv", true, {})
            .size() == 1);
}
