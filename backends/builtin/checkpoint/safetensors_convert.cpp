// Safetensors dtypes and their conversions to and from f32 (bf16, f16, fp8 e4m3fn), and the
// DeepSeek fp8 128x128 block dequantization. Hand-written: exact bit-level semantics matter.
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "backends/builtin/checkpoint/safetensors.h"
#include "common/error.h"

namespace moebench {

namespace {

constexpr int kFp8Block = 128;  // DeepSeek-V3 quantization_config.weight_block_size

// fp8 e4m3fn: 1 sign, 4 exponent (bias 7), 3 mantissa bits; exponent 0 is subnormal
// (m * 2^-9); no infinities; S.1111.111 is NaN, so the largest finite value is 448.
float fp8_e4m3_decode(uint8_t b) {
  const bool neg = b & 0x80;
  const int e = (b >> 3) & 0xF;
  const int m = b & 0x7;
  float v;
  if (e == 0xF && m == 0x7) {
    v = std::numeric_limits<float>::quiet_NaN();
  } else if (e == 0) {
    v = std::ldexp(static_cast<float>(m), -9);
  } else {
    v = std::ldexp(1.0f + static_cast<float>(m) / 8.0f, e - 7);
  }
  return neg ? -v : v;
}

const std::array<float, 256>& fp8_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = fp8_e4m3_decode(static_cast<uint8_t>(i));
    return t;
  }();
  return table;
}

uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

}  // namespace

const char* st_dtype_name(StDtype d) {
  switch (d) {
    case StDtype::bf16:
      return "BF16";
    case StDtype::f16:
      return "F16";
    case StDtype::f32:
      return "F32";
    case StDtype::f8_e4m3:
      return "F8_E4M3";
  }
  return "?";
}

size_t st_dtype_size(StDtype d) {
  switch (d) {
    case StDtype::bf16:
    case StDtype::f16:
      return 2;
    case StDtype::f32:
      return 4;
    case StDtype::f8_e4m3:
      return 1;
  }
  return 0;
}

StDtype st_dtype_parse(const std::string& name, const std::string& where) {
  for (StDtype d : {StDtype::bf16, StDtype::f16, StDtype::f32, StDtype::f8_e4m3}) {
    if (name == st_dtype_name(d)) return d;
  }
  throw input_error(where, "unsupported dtype '" + name + "' (supported: BF16, F16, F32, F8_E4M3)");
}

float bf16_to_f32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F;
  const uint32_t mant = h & 0x3FF;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24, exact in f32
    const float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  if (exp == 0x1F) {  // inf, or NaN with its payload (the quiet bit lands on f32's quiet bit)
    return std::bit_cast<float>(sign | 0x7F800000u | (mant << 13));
  }
  return std::bit_cast<float>(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

float fp8_e4m3_to_f32(uint8_t b) { return fp8_table()[b]; }

uint16_t f32_to_bf16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {  // NaN: keep sign and top payload, force quiet
    return static_cast<uint16_t>((bits >> 16) | 0x0040);
  }
  const uint32_t rounding = 0x7FFFu + ((bits >> 16) & 1u);  // ties go to the even result
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

void st_convert_to_f32(StDtype dt, const uint8_t* src, int64_t n, float* dst) {
  switch (dt) {
    case StDtype::f32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case StDtype::bf16:
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(load_u16(src + 2 * i));
      return;
    case StDtype::f16:
      for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(load_u16(src + 2 * i));
      return;
    case StDtype::f8_e4m3: {
      const auto& table = fp8_table();
      for (int64_t i = 0; i < n; ++i) dst[i] = table[src[i]];
      return;
    }
  }
}

void fp8_block_dequant(Tensor& weight, const Tensor& scale_inv, const std::string& where,
                       const std::string& name) {
  if (weight.shape.size() != 2) {
    throw input_error(where, "tensor '" + name + "' is F8_E4M3 with shape " + weight.shape_str() +
                                 "; block scales need a 2-D weight");
  }
  const int64_t rows = weight.shape[0], cols = weight.shape[1];
  const int64_t br = (rows + kFp8Block - 1) / kFp8Block, bc = (cols + kFp8Block - 1) / kFp8Block;
  if (scale_inv.shape != std::vector<int64_t>{br, bc}) {
    Tensor expected;
    expected.shape = {br, bc};
    throw input_error(where, "tensor '" + name + "_scale_inv' has shape " + scale_inv.shape_str() +
                                 ", expected " + expected.shape_str() + " (128x128 blocks of " +
                                 weight.shape_str() + ")");
  }
  for (int64_t i = 0; i < rows; ++i) {
    const float* s = scale_inv.data.data() + (i / kFp8Block) * bc;
    float* w = weight.data.data() + i * cols;
    for (int64_t j = 0; j < cols; ++j) w[j] *= s[j / kFp8Block];
  }
}

std::string st_encode(const std::vector<float>& values, StDtype dt) {
  std::string out;
  if (dt == StDtype::f32) {
    out.resize(values.size() * 4);
    std::memcpy(out.data(), values.data(), out.size());
  } else if (dt == StDtype::bf16) {
    out.resize(values.size() * 2);
    for (size_t i = 0; i < values.size(); ++i) {
      const uint16_t h = f32_to_bf16(values[i]);
      std::memcpy(out.data() + 2 * i, &h, 2);
    }
  } else {
    throw std::invalid_argument(std::string("st_encode: no encoder for ") + st_dtype_name(dt));
  }
  return out;
}

}  // namespace moebench
