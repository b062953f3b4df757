// Dataset file loaders (JSONL, gzip JSONL, CSV, GAOKAO-Bench JSON) and split-file globbing.
// The CSV parser is hand-written: one pass over the bytes, one string per field.
#include "tasks/src/loaders.h"

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/json_error.h"

namespace moebench {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<CsvRecord> csv_parse(std::string_view text, const std::string& path) {
  std::vector<CsvRecord> out;
  size_t i = 0, line = 1;
  if (text.starts_with("\xEF\xBB\xBF")) i = 3;
  const size_t n = text.size();
  while (i < n) {
    CsvRecord rec;
    rec.line = line;
    bool end_of_record = false, quoted = false;
    while (!end_of_record) {
      std::string field;
      if (i < n && text[i] == '"') {
        quoted = true;
        size_t quote_line = line;
        ++i;
        while (true) {
          if (i >= n)
            throw input_error(path + ":" + std::to_string(quote_line), "unterminated quoted field");
          size_t q = text.find('"', i);
          if (q == std::string_view::npos) q = n;
          std::string_view chunk = text.substr(i, q - i);
          line += std::count(chunk.begin(), chunk.end(), '\n');
          field.append(chunk);
          i = q;
          if (i >= n) continue;
          if (i + 1 < n && text[i + 1] == '"') {
            field += '"';
            i += 2;
          } else {
            ++i;
            break;
          }
        }
      }
      // Unquoted text (or text after a closing quote, kept as Python's csv does).
      size_t start = i;
      while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') ++i;
      field.append(text.substr(start, i - start));
      rec.fields.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < n && text[i] == '\r') ++i;
      if (i < n && text[i] == '\n') ++i;
      ++line;
      end_of_record = true;
    }
    bool blank = rec.fields.size() == 1 && rec.fields[0].empty() && !quoted;
    if (!blank) out.push_back(std::move(rec));
  }
  return out;
}

std::string loader_read_file(const fs::path& path, const std::string& hint) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path.string(), "file not found" + hint);
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

std::string loader_read_gz(const fs::path& path, const std::string& hint) {
  if (!fs::exists(path)) throw input_error(path.string(), "file not found" + hint);
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw input_error(path.string(), "cannot open gzip file");
  std::string out;
  char buf[1 << 16];
  int got;
  while ((got = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(got));
  // NOTE: gzread returns 0, not -1, when the input ends inside the gzip stream (an interrupted
  // copy, a lost trailer): only gzerror's Z_BUF_ERROR tells that from the end. Read as the end,
  // a cut HumanEval scored 150 of its 164 tasks with exit 0.
  int err = Z_OK;
  std::string msg = gzerror(f, &err);
  gzclose(f);
  // zlib puts the path in front of its message; the error names it already.
  if (const std::string own = path.string() + ": "; msg.starts_with(own)) msg.erase(0, own.size());
  if (err == Z_BUF_ERROR)
    throw input_error(path.string(), "gzip error: " + msg + " (the file is cut)");
  if (got < 0 || (err != Z_OK && err != Z_STREAM_END)) {
    throw input_error(path.string(), "gzip error: " + msg);
  }
  return out;
}

std::vector<Record> loader_parse_jsonl(std::string_view text, const std::string& path) {
  std::vector<Record> out;
  size_t pos = 0, line = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view row = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line;
    if (row.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    Record r;
    r.line = line;
    try {
      r.fields = json::parse(row);
      // NOTE: json::exception, not parse_error: a number beyond a double's range (1e999) is
      // out_of_range.406, which escaped as an internal error (found by tests/fuzz/).
    } catch (const json::exception& e) {
      throw input_error(path + ":" + std::to_string(line),
                        "malformed JSON (" + json_error_reason(e) + ")");
    }
    if (!r.fields.is_object()) {
      throw input_error(path + ":" + std::to_string(line), "malformed JSON (expected an object)");
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Record> loader_parse_csv(std::string_view text, const std::string& path, bool header,
                                     const std::vector<std::string>& columns) {
  std::vector<CsvRecord> rows = csv_parse(text, path);
  std::vector<std::string> names = columns;
  size_t first = 0;
  if (header) {
    if (rows.empty()) throw input_error(path, "empty CSV file (expected a header row)");
    if (names.empty()) names = rows[0].fields;
    if (rows[0].fields.size() != names.size()) {
      throw input_error(path + ":" + std::to_string(rows[0].line),
                        "header has " + std::to_string(rows[0].fields.size()) +
                            " columns, the spec names " + std::to_string(names.size()));
    }
    first = 1;
  }
  std::vector<Record> out;
  out.reserve(rows.size() - first);
  for (size_t r = first; r < rows.size(); ++r) {
    CsvRecord& row = rows[r];
    if (row.fields.size() != names.size()) {
      throw input_error(path + ":" + std::to_string(row.line),
                        "expected " + std::to_string(names.size()) + " columns, got " +
                            std::to_string(row.fields.size()));
    }
    Record rec;
    rec.line = row.line;
    rec.fields = json::object();
    for (size_t c = 0; c < names.size(); ++c) rec.fields[names[c]] = std::move(row.fields[c]);
    out.push_back(std::move(rec));
  }
  return out;
}

std::vector<Record> loader_parse_gaokao(std::string_view text, const std::string& path) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range.406 for 1e999
    throw input_error(path, "malformed JSON (" + json_error_reason(e) + ")");
  }
  if (!root.is_object() || !root.contains("example") || !root["example"].is_array()) {
    throw input_error(path, "expected a GAOKAO-Bench object {\"keywords\", \"example\": [...]}");
  }
  std::vector<Record> out;
  size_t i = 0;
  for (json& ex : root["example"]) {
    if (!ex.is_object()) {
      throw input_error(path + ":example[" + std::to_string(i) + "]", "expected an object");
    }
    out.push_back(Record{std::move(ex), ++i});
  }
  return out;
}

std::vector<Record> loader_load(const fs::path& path, const std::string& format, bool csv_header,
                                const std::vector<std::string>& csv_columns,
                                const std::string& hint) {
  std::string p = path.string();
  if (format == "jsonl") return loader_parse_jsonl(loader_read_file(path, hint), p);
  if (format == "jsonl.gz") return loader_parse_jsonl(loader_read_gz(path, hint), p);
  if (format == "csv") {
    return loader_parse_csv(loader_read_file(path, hint), p, csv_header, csv_columns);
  }
  if (format == "gaokao_json") return loader_parse_gaokao(loader_read_file(path, hint), p);
  throw input_error(p, "unknown dataset format '" + format + "'");
}

namespace {

// fnmatch without brackets: '*' any run, '?' one byte.
bool glob_match(std::string_view pat, std::string_view s) {
  size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pat.size() && (pat[p] == '?' || pat[p] == s[i])) {
      ++p;
      ++i;
    } else if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

}  // namespace

std::vector<fs::path> loader_glob(const fs::path& base, const std::string& pattern,
                                  const std::string& hint) {
  fs::path rel(pattern);
  std::string name = rel.filename().string();
  if (name.find_first_of("*?") == std::string::npos) return {base / rel};
  fs::path dir = base / rel.parent_path();
  if (!fs::is_directory(dir)) throw input_error(dir.string(), "directory not found" + hint);
  std::vector<fs::path> out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && glob_match(name, e.path().filename().string())) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  if (out.empty()) throw input_error((dir / name).string(), "no file matches" + hint);
  return out;
}

}  // namespace moebench
