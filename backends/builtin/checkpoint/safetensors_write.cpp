// Safetensors writer: streams tensors into <path>.tmp after a header laid out as the reference
// library lays it out, then renames the file into place.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "backends/builtin/checkpoint/safetensors.h"
#include "common/error.h"

namespace moebench {

namespace {

// The header: {"__metadata__": {...}, "<name>": {"dtype", "shape", "data_offsets"}, ...} in the
// order given, padded with spaces to a multiple of 8 so the data area starts 8-aligned.
std::string make_header(const std::vector<StTensorHeader>& tensors,
                        const std::vector<uint64_t>& sizes,
                        const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json h = nlohmann::ordered_json::object();
  if (!metadata.empty()) h["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].name == "__metadata__" || h.contains(tensors[i].name)) {
      throw std::invalid_argument("safetensors_write: duplicate tensor name '" + tensors[i].name +
                                  "'");
    }
    h[tensors[i].name] = {{"dtype", st_dtype_name(tensors[i].dtype)},
                          {"shape", tensors[i].shape},
                          {"data_offsets", {offset, offset + sizes[i]}}};
    offset += sizes[i];
  }
  std::string text = h.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

}  // namespace

SafetensorsWriter::SafetensorsWriter(const std::filesystem::path& path,
                                     std::vector<StTensorHeader> tensors,
                                     const std::map<std::string, std::string>& metadata)
    : path_(path), tmp_(path.string() + ".tmp"), tensors_(std::move(tensors)) {
  for (const auto& t : tensors_) {
    uint64_t n = 1;
    for (int64_t d : t.shape) {
      if (d < 0) throw std::invalid_argument("safetensors_write: negative dim in '" + t.name + "'");
      n *= static_cast<uint64_t>(d);
    }
    sizes_.push_back(n * st_dtype_size(t.dtype));
  }
  const std::string header = make_header(tensors_, sizes_, metadata);
  out_ = std::fopen(tmp_.c_str(), "wb");
  if (!out_) throw input_error(tmp_.string(), std::string("cannot create: ") + strerror(errno));
  uint8_t len[8];
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
  if (std::fwrite(len, 1, 8, out_) != 8 ||
      std::fwrite(header.data(), 1, header.size(), out_) != header.size()) {
    const std::string err = strerror(errno);
    std::fclose(out_);  // the destructor does not run for a throwing constructor
    out_ = nullptr;
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
    throw input_error(tmp_.string(), "write failed: " + err);
  }
  while (current_ < sizes_.size() && sizes_[current_] == 0) ++current_;
}

SafetensorsWriter::~SafetensorsWriter() {
  if (out_) {
    std::fclose(out_);
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

void SafetensorsWriter::write(const void* data, size_t bytes) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (bytes > 0) {
    if (current_ >= sizes_.size() || !out_) {
      throw std::logic_error("SafetensorsWriter: more bytes than the declared tensors hold");
    }
    const uint64_t room = sizes_[current_] - written_in_current_;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(room, bytes));
    if (std::fwrite(p, 1, n, out_) != n) {
      throw input_error(tmp_.string(), std::string("write failed: ") + strerror(errno));
    }
    p += n;
    bytes -= n;
    written_in_current_ += n;
    if (written_in_current_ == sizes_[current_]) {
      written_in_current_ = 0;
      ++current_;
      while (current_ < sizes_.size() && sizes_[current_] == 0) ++current_;
    }
  }
}

void SafetensorsWriter::finish() {
  if (!out_) throw std::logic_error("SafetensorsWriter: finish() called twice");
  if (current_ != sizes_.size()) {
    throw std::logic_error("SafetensorsWriter: tensor '" + tensors_[current_].name +
                           "' was not written in full");
  }
  const bool ok = std::fflush(out_) == 0;
  std::fclose(out_);
  out_ = nullptr;
  std::error_code ec;
  if (!ok) {
    std::filesystem::remove(tmp_, ec);
    throw input_error(tmp_.string(), std::string("write failed: ") + strerror(errno));
  }
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) throw input_error(path_.string(), "cannot rename into place: " + ec.message());
}

void safetensors_write(const std::filesystem::path& path, const std::vector<StWriteTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<StTensorHeader> headers;
  for (const auto& t : tensors) headers.push_back({t.name, t.dtype, t.shape});
  SafetensorsWriter w(path, std::move(headers), metadata);
  for (const auto& t : tensors) {
    uint64_t n = st_dtype_size(t.dtype);
    for (int64_t d : t.shape) n *= static_cast<uint64_t>(d);
    if (n != t.bytes.size()) {
      throw std::invalid_argument("safetensors_write: tensor '" + t.name + "' has " +
                                  std::to_string(t.bytes.size()) + " bytes, its shape needs " +
                                  std::to_string(n));
    }
    w.write(t.bytes.data(), t.bytes.size());
  }
  w.finish();
}

}  // namespace moebench
