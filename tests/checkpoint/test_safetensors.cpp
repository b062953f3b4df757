// Safetensors: dtype conversions against known values, fp8 block dequant, writer -> reader round
// trip, and every malformed file as an exact one-line InputError (never a crash).
#include <bit>
#include <cmath>
#include <cstring>
#include <random>

#include "backends/builtin/checkpoint/safetensors.h"
#include "tests/catch.h"
#include "tests/checkpoint/checkpoint_test_util.h"

using ckpt_test::input_error_of;
using ckpt_test::raw_safetensors;
using ckpt_test::TempDir;
using ckpt_test::write_file;
using namespace moebench;

TEST_CASE("bf16 and f16 decode exactly, specials included", "[safetensors][convert]") {
  CHECK(bf16_to_f32(0x3F80) == 1.0f);
  CHECK(bf16_to_f32(0xC000) == -2.0f);
  CHECK(bf16_to_f32(0x3EAB) == 0.333984375f);
  CHECK(bf16_to_f32(0x0001) == std::ldexp(1.0f, -133));  // smallest subnormal
  CHECK(std::isinf(bf16_to_f32(0x7F80)));
  CHECK(std::isnan(bf16_to_f32(0x7FC0)));
  CHECK(std::signbit(bf16_to_f32(0x8000)));

  CHECK(f16_to_f32(0x3C00) == 1.0f);
  CHECK(f16_to_f32(0xC000) == -2.0f);
  CHECK(f16_to_f32(0x3555) == 0.333251953125f);
  CHECK(f16_to_f32(0x7BFF) == 65504.0f);                  // largest finite
  CHECK(f16_to_f32(0x0400) == std::ldexp(1.0f, -14));     // smallest normal
  CHECK(f16_to_f32(0x0001) == std::ldexp(1.0f, -24));     // smallest subnormal
  CHECK(f16_to_f32(0x03FF) == std::ldexp(1023.0f, -24));  // largest subnormal
  CHECK(f16_to_f32(0x8001) == -std::ldexp(1.0f, -24));
  CHECK(std::signbit(f16_to_f32(0x8000)));
  CHECK(f16_to_f32(0x7C00) == INFINITY);
  CHECK(f16_to_f32(0xFC00) == -INFINITY);
  CHECK(std::isnan(f16_to_f32(0x7E00)));
  CHECK(std::isnan(f16_to_f32(0x7C01)));  // signalling NaN stays NaN

  // Every f16 value: normal ones against the formula (-1)^s * 2^(e-15) * (1 + m/1024).
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const int e = (h >> 10) & 0x1F, m = h & 0x3FF;
    if (e == 0 || e == 31) continue;
    const float want = std::ldexp(1.0f + m / 1024.0f, e - 15) * ((h & 0x8000) ? -1.0f : 1.0f);
    if (f16_to_f32(static_cast<uint16_t>(h)) != want) FAIL("f16 " << h);
  }
}

TEST_CASE("fp8 e4m3fn decodes with bias 7, subnormals, no inf", "[safetensors][convert]") {
  CHECK(fp8_e4m3_to_f32(0x38) == 1.0f);  // e=7, m=0
  CHECK(fp8_e4m3_to_f32(0x40) == 2.0f);
  CHECK(fp8_e4m3_to_f32(0x3C) == 1.5f);
  CHECK(fp8_e4m3_to_f32(0xB8) == -1.0f);
  CHECK(fp8_e4m3_to_f32(0x7E) == 448.0f);  // largest finite
  CHECK(fp8_e4m3_to_f32(0xFE) == -448.0f);
  CHECK(fp8_e4m3_to_f32(0x08) == std::ldexp(1.0f, -6));  // smallest normal
  CHECK(fp8_e4m3_to_f32(0x01) == std::ldexp(1.0f, -9));  // smallest subnormal
  CHECK(fp8_e4m3_to_f32(0x07) == std::ldexp(7.0f, -9));  // largest subnormal
  CHECK(fp8_e4m3_to_f32(0x00) == 0.0f);
  CHECK(std::signbit(fp8_e4m3_to_f32(0x80)));
  CHECK(std::isnan(fp8_e4m3_to_f32(0x7F)));
  CHECK(std::isnan(fp8_e4m3_to_f32(0xFF)));
  CHECK(fp8_e4m3_to_f32(0x78) == 256.0f);  // e=15 with m<7 is finite (no inf in e4m3fn)
  int nans = 0;
  for (int b = 0; b < 256; ++b) nans += std::isnan(fp8_e4m3_to_f32(static_cast<uint8_t>(b)));
  CHECK(nans == 2);
}

TEST_CASE("f32 -> bf16 rounds to nearest even", "[safetensors][convert]") {
  CHECK(f32_to_bf16(1.0f) == 0x3F80);
  CHECK(f32_to_bf16(std::bit_cast<float>(0x3F808000u)) == 0x3F80);  // tie, even stays
  CHECK(f32_to_bf16(std::bit_cast<float>(0x3F818000u)) == 0x3F82);  // tie, odd rounds up
  CHECK(f32_to_bf16(std::bit_cast<float>(0x3F808001u)) == 0x3F81);  // above the tie
  CHECK(f32_to_bf16(std::bit_cast<float>(0x7F7FFFFFu)) == 0x7F80);  // max float -> inf
  CHECK(f32_to_bf16(INFINITY) == 0x7F80);
  CHECK(f32_to_bf16(-0.0f) == 0x8000);
  const uint16_t nan = f32_to_bf16(std::bit_cast<float>(0x7F800001u));  // payload in low bits
  CHECK(std::isnan(bf16_to_f32(nan)));
  for (float v : {0.1f, -3.25f, 1e-30f, 12345.678f}) {
    CHECK(std::abs(bf16_to_f32(f32_to_bf16(v)) - v) <= std::abs(v) * 0x1p-8f);
  }
}

TEST_CASE("fp8 block dequant with ragged 130x257 blocks", "[safetensors][fp8]") {
  Tensor w;
  w.shape = {130, 257};
  w.data.assign(130 * 257, 2.0f);
  Tensor s;
  s.shape = {2, 3};  // ceil(130/128) x ceil(257/128)
  s.data = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
  fp8_block_dequant(w, s, "f", "x.weight");
  auto at = [&](int i, int j) { return w.data[i * 257 + j]; };
  CHECK(at(0, 0) == 2.0f);
  CHECK(at(127, 127) == 2.0f);
  CHECK(at(0, 128) == 4.0f);
  CHECK(at(127, 255) == 4.0f);
  CHECK(at(0, 256) == 6.0f);
  CHECK(at(128, 0) == 8.0f);
  CHECK(at(129, 200) == 10.0f);
  CHECK(at(129, 256) == 12.0f);
  s.shape = {1, 3};
  CHECK(input_error_of([&] { fp8_block_dequant(w, s, "f", "x.weight"); }) ==
        "f: tensor 'x.weight_scale_inv' has shape [1, 3], expected [2, 3] (128x128 blocks of "
        "[130, 257])");
}

TEST_CASE("writer output reads back: header layout, dtypes, metadata", "[safetensors][write]") {
  TempDir dir;
  std::vector<float> a = {1.0f, -2.5f, 3.0f, 0.15625f, 1e-3f, 7.0f};
  std::vector<float> b = {0.5f, -0.25f, 1.0f};
  const std::string ab = st_encode(a, StDtype::f32), bb = st_encode(b, StDtype::bf16);
  std::string fp8 = {'\x38', '\x40', '\xB8', '\x7E'};
  safetensors_write(dir / "m.safetensors",
                    {{"b.weight", StDtype::bf16, {3}, bb},
                     {"a.weight", StDtype::f32, {2, 3}, ab},
                     {"c", StDtype::f8_e4m3, {2, 2}, fp8},
                     {"empty", StDtype::f32, {0, 4}, ""}},
                    {{"format", "pt"}});
  const std::string raw = ckpt_test::read_file(dir / "m.safetensors");
  uint64_t n = 0;
  std::memcpy(&n, raw.data(), 8);
  CHECK(n % 8 == 0);
  CHECK(raw[8] == '{');
  CHECK(raw.size() == 8 + n + 6 + 24 + 4);  // back to back, in the order given
  CHECK(raw.substr(8 + n, 6) == bb);
  auto f = SafetensorsFile::open(dir / "m.safetensors");
  CHECK(f->metadata().at("format") == "pt");
  REQUIRE(f->tensors().size() == 4);
  const Tensor ta = f->read_f32(*f->find("a.weight"));
  CHECK(ta.shape == std::vector<int64_t>{2, 3});
  CHECK(ta.data == a);
  CHECK(f->read_f32(*f->find("b.weight")).data == b);
  CHECK(f->read_f32(*f->find("c")).data == std::vector<float>{1.0f, 2.0f, -1.0f, 448.0f});
  CHECK(f->find("empty")->numel() == 0);
  CHECK(f->find("b.weight")->begin == 0);  // data in the order given
  CHECK(f->find("a.weight")->begin == 6);
  CHECK(f->find("nope") == nullptr);
  CHECK(!std::filesystem::exists(dir.path() / "m.safetensors.tmp"));
}

TEST_CASE("f16 tensors convert through the reader", "[safetensors][convert]") {
  TempDir dir;
  const std::string data = std::string("\x00\x3C\x00\xC0\x01\x00\x00\x7C", 8);  // 1, -2, 2^-24, inf
  write_file(dir / "h.safetensors",
             raw_safetensors(R"({"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})", data));
  auto f = SafetensorsFile::open(dir / "h.safetensors");
  const Tensor t = f->read_f32(*f->find("h"));
  CHECK(t.data[0] == 1.0f);
  CHECK(t.data[1] == -2.0f);
  CHECK(t.data[2] == std::ldexp(1.0f, -24));
  CHECK(std::isinf(t.data[3]));
}

TEST_CASE("malformed safetensors files give exact one-line errors", "[safetensors][errors]") {
  TempDir dir;
  const std::string p = (dir / "m.safetensors").string();
  auto err = [&](const std::string& bytes) {
    write_file(p, bytes);
    return input_error_of([&] { SafetensorsFile::open(p); });
  };
  CHECK(err("abc") == p + ": file is 3 bytes, too short for a safetensors header (8-byte length)");
  std::string past(8, '\0');
  past[0] = 100;
  CHECK(err(past + "{}") == p + ": header length 100 runs past the end of the file (10 bytes)");
  std::string huge(8, '\0');
  huge[4] = 1;  // 2^32
  CHECK(err(huge + "{}") == p + ": header length 4294967296 exceeds the limit of 100000000 bytes");
  CHECK(err(raw_safetensors("{\"a\": [1,", "")) == p + ": header is not valid JSON");
  CHECK(err(raw_safetensors("[1, 2]", "")) == p + ": header is not a JSON object");
  CHECK(err(raw_safetensors(std::string(200, '[') + std::string(200, ']'), "")) ==
        p + ": header is not valid JSON (nested too deep)");
  const std::string d16(16, '\0');
  CHECK(err(raw_safetensors(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,32]}})", d16)) ==
        p + ": tensor 'w': data_offsets [0, 32] are outside the data area (16 bytes)");
  CHECK(err(raw_safetensors(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", d16)) ==
        p + ": tensor 'w': data_offsets [0, 16] hold 16 bytes, expected 12 for shape [3] F32");
  CHECK(err(raw_safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                            d16)) == p + ": tensors 'a' [0, 8] and 'b' [4, 12] overlap");
  CHECK(err(raw_safetensors(R"({"w":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})", d16)) ==
        p + ": tensor 'w': unsupported dtype 'I64' (supported: BF16, F16, F32, F8_E4M3)");
  CHECK(err(raw_safetensors(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,16]}})", d16)) ==
        p + ": tensor 'w': 'shape' must hold non-negative integers, got [-1]");
  CHECK(err(raw_safetensors(R"({"w":{"dtype":"F32","shape":[4]}})", d16)) ==
        p + ": tensor 'w': 'data_offsets' must be [begin, end] (non-negative integers)");
  CHECK(err(raw_safetensors(R"({"w":{"shape":[4],"data_offsets":[0,16]}})", d16)) ==
        p + ": tensor 'w': missing string 'dtype'");
  CHECK(err(raw_safetensors(R"({"__metadata__":{"k":1}})", "")) ==
        p + ": '__metadata__' must map strings to strings (key 'k')");
  CHECK(err(raw_safetensors(R"({"w":{"dtype":"F32","shape":[4000000000,4000000000,4000000000]
        ,"data_offsets":[0,16]}})",
                            d16)) ==
        p + ": tensor 'w': shape [4000000000,4000000000,4000000000] is too large");
  CHECK(input_error_of([&] { SafetensorsFile::open(dir / "absent.safetensors"); }) ==
        (dir / "absent.safetensors").string() + ": cannot open: No such file or directory");
  CHECK(err(raw_safetensors(R"({"__metadata__":{"format":"pt"}})", "")).empty());  // no tensors
}

TEST_CASE("random header corruptions are InputErrors, never crashes", "[safetensors][errors]") {
  TempDir dir;
  std::vector<float> v(64, 1.5f);
  const std::string bytes = st_encode(v, StDtype::f32);
  safetensors_write(dir / "ok.safetensors",
                    {{"model.layers.0.w", StDtype::f32, {8, 8}, bytes},
                     {"model.layers.1.w", StDtype::f32, {4, 16}, bytes}},
                    {{"format", "pt"}});
  const std::string good = ckpt_test::read_file(dir / "ok.safetensors");
  uint64_t header_len = 0;
  std::memcpy(&header_len, good.data(), 8);
  std::mt19937 rng(1234);
  const std::string p = (dir / "bad.safetensors").string();
  int rejected = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string b = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      const size_t at = rng() % (8 + header_len + (iter % 10 == 0 ? 8 : 0));
      b[at] = static_cast<char>(rng() % 256);
    }
    if (iter % 7 == 0) b.resize(rng() % b.size());
    write_file(p, b);
    try {
      auto f = SafetensorsFile::open(p);
      for (const auto& t : f->tensors()) f->read_f32(t);  // what is accepted must be readable
    } catch (const InputError& e) {
      ++rejected;
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
  CHECK(rejected > 1000);
}
