// Dataset file loaders: JSONL, gzip JSONL, RFC 4180 CSV and the GAOKAO-Bench JSON layout, plus
// the file-name globbing the spec's split lists use. Every record remembers its file:line.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace moebench {

struct Record {
  nlohmann::json fields;
  size_t line = 0;  // 1-based physical line the record starts on (gaokao: index in example[])
};

struct CsvRecord {
  std::vector<std::string> fields;
  size_t line = 0;  // physical line the record starts on
};

// RFC 4180 in one pass: quoted fields may hold commas, doubled quotes and line breaks; records
// end at LF or CRLF; blank lines are skipped; a UTF-8 BOM is dropped. `path` names errors.
std::vector<CsvRecord> csv_parse(std::string_view text, const std::string& path);

// The whole file; InputError "<path>: file not found (...hint)" when it is missing.
std::string loader_read_file(const std::filesystem::path& path, const std::string& hint);
// The decompressed content of a gzip file (zlib).
std::string loader_read_gz(const std::filesystem::path& path, const std::string& hint);

// One JSON object per line; blank lines skipped; "path:LINE: malformed JSON (...)" otherwise.
std::vector<Record> loader_parse_jsonl(std::string_view text, const std::string& path);
// CSV rows as objects keyed by `columns` (or the header row when `header` and columns is empty);
// "path:LINE: expected 6 columns, got 5" for a ragged row.
std::vector<Record> loader_parse_csv(std::string_view text, const std::string& path, bool header,
                                     const std::vector<std::string>& columns);
// GAOKAO-Bench: {"keywords": ..., "example": [ ... ]}; each example is one record.
std::vector<Record> loader_parse_gaokao(std::string_view text, const std::string& path);

// Loads one file in `format` (jsonl | jsonl.gz | csv | gaokao_json).
std::vector<Record> loader_load(const std::filesystem::path& path, const std::string& format,
                                bool csv_header, const std::vector<std::string>& csv_columns,
                                const std::string& hint);

// Expands "dir/part*.csv" relative to `base`: '*' and '?' in the last component only, matches
// sorted by name; a pattern without wildcards is returned as is (its absence is found on read).
std::vector<std::filesystem::path> loader_glob(const std::filesystem::path& base,
                                               const std::string& pattern, const std::string& hint);

}  // namespace moebench
