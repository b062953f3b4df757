// Safetensors reader: header validation, the mmap'ed file and the (possibly sharded) checkpoint
// of a model directory.
#include "backends/builtin/checkpoint/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.h"

namespace moebench {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

using nlohmann::json;

// nlohmann's parser recurses per nesting level; a hostile header of 10^8 '[' would overflow the
// stack, so nesting is bounded before parsing (a real header nests 3 deep).
constexpr int kMaxJsonDepth = 64;

bool json_depth_ok(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      if (ch == '\\') {
        ++i;
      } else if (ch == '"') {
        in_string = false;
      }
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > kMaxJsonDepth) return false;
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return true;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  Tensor t;
  t.shape = shape;
  return t.shape_str();
}

std::string offsets_text(uint64_t b, uint64_t e) {
  return "[" + std::to_string(b) + ", " + std::to_string(e) + "]";
}

// One header entry -> StTensorInfo; every malformed piece is an error naming the tensor.
StTensorInfo parse_entry(const std::string& name, const json& v, uint64_t data_size,
                         const std::string& where) {
  const std::string tw = where + ": tensor '" + name + "'";
  if (!v.is_object()) throw input_error(tw, "header entry is not an object");
  StTensorInfo t;
  t.name = name;
  auto dt = v.find("dtype");
  if (dt == v.end() || !dt->is_string()) throw input_error(tw, "missing string 'dtype'");
  t.dtype = st_dtype_parse(dt->get<std::string>(), tw);
  auto sh = v.find("shape");
  if (sh == v.end() || !sh->is_array()) throw input_error(tw, "missing array 'shape'");
  uint64_t numel = 1;
  for (const json& d : *sh) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t{1} << 48)) {
      throw input_error(tw, "'shape' must hold non-negative integers, got " + sh->dump());
    }
    t.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
    if (__builtin_mul_overflow(numel, d.get<uint64_t>(), &numel) || numel > (uint64_t{1} << 56)) {
      throw input_error(tw, "shape " + sh->dump() + " is too large");
    }
  }
  auto off = v.find("data_offsets");
  if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
      !(*off)[1].is_number_unsigned()) {
    throw input_error(tw, "'data_offsets' must be [begin, end] (non-negative integers)");
  }
  t.begin = (*off)[0].get<uint64_t>();
  t.end = (*off)[1].get<uint64_t>();
  if (t.begin > t.end || t.end > data_size) {
    throw input_error(tw, "data_offsets " + offsets_text(t.begin, t.end) +
                              " are outside the data area (" + std::to_string(data_size) +
                              " bytes)");
  }
  const uint64_t expected = numel * st_dtype_size(t.dtype);
  if (t.end - t.begin != expected) {
    throw input_error(tw, "data_offsets " + offsets_text(t.begin, t.end) + " hold " +
                              std::to_string(t.end - t.begin) + " bytes, expected " +
                              std::to_string(expected) + " for shape " + shape_text(t.shape) + " " +
                              st_dtype_name(t.dtype));
  }
  return t;
}

void parse_metadata(const json& v, const std::string& where,
                    std::map<std::string, std::string>* metadata) {
  if (!v.is_object()) throw input_error(where, "'__metadata__' must map strings to strings");
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it.value().is_string()) {
      throw input_error(where,
                        "'__metadata__' must map strings to strings (key '" + it.key() + "')");
    }
    if (metadata) (*metadata)[it.key()] = it.value().get<std::string>();
  }
}

// Non-empty byte ranges must not share a byte.
void check_overlaps(const std::vector<StTensorInfo>& tensors, const std::string& where) {
  std::vector<const StTensorInfo*> by_offset;
  for (const auto& t : tensors) {
    if (t.end > t.begin) by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](const auto* a, const auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->name < b->name;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const StTensorInfo& a = *by_offset[i - 1];
    const StTensorInfo& b = *by_offset[i];
    if (b.begin < a.end) {
      throw input_error(where, "tensors '" + a.name + "' " + offsets_text(a.begin, a.end) +
                                   " and '" + b.name + "' " + offsets_text(b.begin, b.end) +
                                   " overlap");
    }
  }
}

std::string read_text_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw input_error(p.string(), "cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A shard name from weight_map must be a plain file name beside the index.
bool plain_file_name(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos &&
         s.find('\\') == std::string::npos && s.find('\0') == std::string::npos;
}

}  // namespace

int64_t StTensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string StTensorInfo::shape_str() const { return shape_text(shape); }

std::vector<StTensorInfo> st_parse_header(std::string_view header, uint64_t data_size,
                                          const std::string& where,
                                          std::map<std::string, std::string>* metadata) {
  if (!json_depth_ok(header))
    throw input_error(where, "header is not valid JSON (nested too deep)");
  json j = json::parse(header.begin(), header.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw input_error(where, "header is not valid JSON");
  if (!j.is_object()) throw input_error(where, "header is not a JSON object");
  std::vector<StTensorInfo> tensors;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      parse_metadata(it.value(), where, metadata);
    } else {
      tensors.push_back(parse_entry(it.key(), it.value(), data_size, where));
    }
  }
  check_overlaps(tensors, where);
  return tensors;  // nlohmann objects iterate in key order, so these are sorted by name
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path.string();
  const std::string& where = f->path_;
  const int fd = ::open(where.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw input_error(where, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw input_error(where, "not a regular file");
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    throw input_error(where, "file is " + std::to_string(size) +
                                 " bytes, too short for a safetensors header (8-byte length)");
  }
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw input_error(where, std::string("mmap failed: ") + strerror(errno));
  f->map_ = static_cast<const uint8_t*>(map);
  f->map_size_ = size;
  uint64_t n = 0;
  std::memcpy(&n, f->map_, 8);
  if (n > kStMaxHeaderBytes) {
    throw input_error(where, "header length " + std::to_string(n) + " exceeds the limit of " +
                                 std::to_string(kStMaxHeaderBytes) + " bytes");
  }
  if (n > size - 8) {
    throw input_error(where, "header length " + std::to_string(n) +
                                 " runs past the end of the file (" + std::to_string(size) +
                                 " bytes)");
  }
  f->data_start_ = 8 + n;
  std::string_view header(reinterpret_cast<const char*>(f->map_) + 8, n);
  f->tensors_ = st_parse_header(header, size - 8 - n, where, &f->metadata_);
  return f;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) munmap(const_cast<uint8_t*>(map_), map_size_);
}

const StTensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it =
      std::lower_bound(tensors_.begin(), tensors_.end(), name,
                       [](const StTensorInfo& t, const std::string& n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

const uint8_t* SafetensorsFile::bytes(const StTensorInfo& t) const {
  return map_ + data_start_ + t.begin;
}

Tensor SafetensorsFile::read_f32(const StTensorInfo& t) const {
  Tensor out;
  out.shape = t.shape;
  out.data.resize(static_cast<size_t>(t.numel()));
  st_convert_to_f32(t.dtype, bytes(t), t.numel(), out.data.data());
  return out;
}

namespace {

// weight_map of model.safetensors.index.json: tensor name -> shard file name.
std::map<std::string, std::string> read_weight_map(const std::filesystem::path& index) {
  const std::string where = index.string();
  const std::string text = read_text_file(index);
  if (!json_depth_ok(text)) throw input_error(where, "not valid JSON (nested too deep)");
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw input_error(where, "not valid JSON");
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
    throw input_error(where, "field 'weight_map' is missing or not an object");
  }
  std::map<std::string, std::string> out;
  for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
    if (!it.value().is_string() || !plain_file_name(it.value().get<std::string>())) {
      throw input_error(where, "field 'weight_map." + it.key() +
                                   "' must be a shard file name in the same directory, got " +
                                   it.value().dump());
    }
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

}  // namespace

SafetensorsCheckpoint SafetensorsCheckpoint::open(const std::filesystem::path& dir) {
  SafetensorsCheckpoint ck;
  const auto index = dir / "model.safetensors.index.json";
  const auto single = dir / "model.safetensors";
  if (!std::filesystem::exists(index)) {
    if (!std::filesystem::exists(single)) {
      throw input_error(dir.string(), "no model.safetensors or model.safetensors.index.json");
    }
    ck.where_ = single.string();
    ck.files_.push_back(SafetensorsFile::open(single));
    for (const auto& t : ck.files_[0]->tensors()) ck.entries_[t.name] = {ck.files_[0].get(), &t};
    return ck;
  }
  ck.where_ = index.string();
  const std::map<std::string, std::string> weight_map = read_weight_map(index);
  std::set<std::string> shards;
  for (const auto& [name, shard] : weight_map) shards.insert(shard);
  for (const std::string& shard : shards) {
    ck.files_.push_back(SafetensorsFile::open(dir / shard));
    const SafetensorsFile& f = *ck.files_.back();
    for (const auto& t : f.tensors()) {
      auto it = weight_map.find(t.name);
      if (it == weight_map.end() || it->second != shard) {
        throw input_error(f.path(), "tensor '" + t.name +
                                        "' is not listed for this file in "
                                        "model.safetensors.index.json");
      }
      ck.entries_[t.name] = {&f, &t};
    }
  }
  for (const auto& [name, shard] : weight_map) {
    if (!ck.entries_.count(name)) {
      throw input_error((dir / shard).string(), "tensor '" + name +
                                                    "' listed in model.safetensors.index.json "
                                                    "is missing");
    }
  }
  return ck;
}

const SafetensorsCheckpoint::Entry* SafetensorsCheckpoint::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace moebench
