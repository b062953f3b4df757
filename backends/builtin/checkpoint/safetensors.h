// Safetensors: an mmap'ed, fully validated reader (one file or shards listed by
// model.safetensors.index.json), dtype conversions to f32 and a streaming writer.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/builtin/checkpoint/tensor.h"

namespace moebench {

// The dtypes we read and write; any other dtype in a header is an InputError naming it.
enum class StDtype { bf16, f16, f32, f8_e4m3 };

const char* st_dtype_name(StDtype d);  // "BF16", "F16", "F32", "F8_E4M3"
size_t st_dtype_size(StDtype d);
// Throws InputError "<where>: unsupported dtype 'I64' (supported: BF16, F16, F32, F8_E4M3)".
StDtype st_dtype_parse(const std::string& name, const std::string& where);

// Headers larger than this are rejected (the limit of the reference safetensors library).
constexpr uint64_t kStMaxHeaderBytes = 100'000'000;

struct StTensorInfo {
  std::string name;
  StDtype dtype = StDtype::f32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets into the data area, which starts after the header
  uint64_t end = 0;
  int64_t numel() const;
  std::string shape_str() const;
};

// Parses and validates one header (the JSON text after the 8-byte length) for a data area of
// `data_size` bytes: types, dtypes, shapes, offsets inside the data area, byte counts and no
// overlaps. Tensors come back sorted by name. Errors are one-line InputErrors naming `where`.
std::vector<StTensorInfo> st_parse_header(std::string_view header, uint64_t data_size,
                                          const std::string& where,
                                          std::map<std::string, std::string>* metadata);

// One .safetensors file, mapped read-only for its lifetime.
class SafetensorsFile {
 public:
  // Validates the whole header; throws InputError naming the file.
  static std::unique_ptr<SafetensorsFile> open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<StTensorInfo>& tensors() const { return tensors_; }
  const StTensorInfo* find(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The tensor's raw little-endian bytes (t.end - t.begin of them, not necessarily aligned).
  const uint8_t* bytes(const StTensorInfo& t) const;
  // Converts to f32 (fp8 values as stored: block scales are applied by the caller).
  Tensor read_f32(const StTensorInfo& t) const;

 private:
  SafetensorsFile() = default;
  std::string path_;
  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  uint64_t data_start_ = 0;
  std::vector<StTensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// The safetensors of a model directory: model.safetensors.index.json shards when present, else
// model.safetensors. Every tensor a shard holds must be listed for it in the index and the other
// way round.
class SafetensorsCheckpoint {
 public:
  struct Entry {
    const SafetensorsFile* file = nullptr;
    const StTensorInfo* info = nullptr;
  };
  static SafetensorsCheckpoint open(const std::filesystem::path& dir);

  // The file named in errors about the checkpoint as a whole (the index or the single file).
  const std::string& where() const { return where_; }
  const std::map<std::string, Entry>& entries() const { return entries_; }
  const Entry* find(const std::string& name) const;
  size_t num_files() const { return files_.size(); }

 private:
  std::string where_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, Entry> entries_;
};

// Conversions, written by hand (they are exact for every input, subnormals, inf and NaN
// included; fp8 e4m3fn: bias 7, no inf, S.1111.111 is NaN).
float bf16_to_f32(uint16_t h);
float f16_to_f32(uint16_t h);
float fp8_e4m3_to_f32(uint8_t b);
uint16_t f32_to_bf16(float f);  // round to nearest even; NaN stays a (quiet) NaN
// dst[i] = src element i converted to f32, for n elements of `dt` (src may be unaligned).
void st_convert_to_f32(StDtype dt, const uint8_t* src, int64_t n, float* dst);
// DeepSeek fp8 block scales: weight (rows, cols) *= scale_inv[i / 128][j / 128], with scale_inv
// (ceil(rows / 128), ceil(cols / 128)). `name` is the weight's name for errors.
void fp8_block_dequant(Tensor& weight, const Tensor& scale_inv, const std::string& where,
                       const std::string& name);

// Writer: the layout the reference library produces and accepts (8-byte little-endian header
// length, JSON header padded with spaces to a multiple of 8, tensor data back to back in the
// order given). Tensors are streamed so a 30 GB checkpoint never has to fit in memory. The file
// is written as <path>.tmp and renamed into place by finish().
struct StTensorHeader {
  std::string name;
  StDtype dtype = StDtype::f32;
  std::vector<int64_t> shape;
};

class SafetensorsWriter {
 public:
  SafetensorsWriter(const std::filesystem::path& path, std::vector<StTensorHeader> tensors,
                    const std::map<std::string, std::string>& metadata = {});
  ~SafetensorsWriter();  // removes the .tmp file when finish() was not reached
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

  // Appends bytes of the current tensor (tensors in the order given; a call may span several).
  void write(const void* data, size_t bytes);
  // Every tensor must have been written in full.
  void finish();

 private:
  std::filesystem::path path_, tmp_;
  std::vector<StTensorHeader> tensors_;
  std::vector<uint64_t> sizes_;
  size_t current_ = 0;
  uint64_t written_in_current_ = 0;
  std::FILE* out_ = nullptr;
};

struct StWriteTensor {
  std::string name;
  StDtype dtype = StDtype::f32;
  std::vector<int64_t> shape;
  std::string_view bytes;  // numel * itemsize little-endian bytes
};
void safetensors_write(const std::filesystem::path& path, const std::vector<StWriteTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Raw bytes of f32 values as F32 or as BF16 (round to nearest even), for the writer.
std::string st_encode(const std::vector<float>& values, StDtype dt);

}  // namespace moebench
