// UTF-8 decoding and repair, the Unicode properties HF tokenizers relies on, ICU normalization,
// and the GPT-2 byte-level alphabet.
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <cstdio>

#include "backends/builtin/tokenizer/tokenizer_internal.h"
#include "common/error.h"

namespace moebench::tokenizer_detail {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Total length of the sequence a lead byte starts, 0 for bytes that cannot start one.
int utf8_seq_len(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

// Whether `b` may be continuation byte number k (1-based) after `lead` (excludes overlongs,
// surrogates and code points past U+10FFFF, as Rust and WHATWG do).
bool utf8_cont_ok(unsigned char lead, int k, unsigned char b) {
  if (k == 1) {
    if (lead == 0xE0) return b >= 0xA0 && b <= 0xBF;
    if (lead == 0xED) return b >= 0x80 && b <= 0x9F;
    if (lead == 0xF0) return b >= 0x90 && b <= 0xBF;
    if (lead == 0xF4) return b >= 0x80 && b <= 0x8F;
  }
  return b >= 0x80 && b <= 0xBF;
}

// Bytes of the longest valid (possibly incomplete) prefix of the sequence at i; *need is the
// length the lead byte asks for (0 when s[i] cannot start a sequence).
int utf8_valid_prefix(std::string_view s, size_t i, int* need) {
  auto lead = static_cast<unsigned char>(s[i]);
  *need = utf8_seq_len(lead);
  if (*need == 0) return 0;
  int k = 1;
  while (k < *need && i + k < s.size() &&
         utf8_cont_ok(lead, k, static_cast<unsigned char>(s[i + k])))
    ++k;
  return k;
}

}  // namespace

char32_t utf8_next(std::string_view s, size_t* pos) {
  size_t i = *pos;
  int need = 0;
  int k = utf8_valid_prefix(s, i, &need);
  if (need == 0 || k < need) {
    *pos = i + (k > 0 ? k : 1);
    return kReplacement;
  }
  auto b = [&](int j) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + j])); };
  *pos = i + need;
  switch (need) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

void utf8_append(std::string* out, char32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool utf8_valid(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    int need = 0;
    int k = utf8_valid_prefix(bytes, i, &need);
    if (need == 0 || k < need) return false;
    i += need;
  }
  return true;
}

std::string utf8_lossy(std::string_view bytes) {
  if (utf8_valid(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 8);
  size_t i = 0;
  while (i < bytes.size()) {
    int need = 0;
    int k = utf8_valid_prefix(bytes, i, &need);
    if (need != 0 && k == need) {
      out.append(bytes.substr(i, k));
      i += k;
    } else {
      utf8_append(&out, kReplacement);
      i += k > 0 ? k : 1;
    }
  }
  return out;
}

size_t utf8_complete_prefix(std::string_view bytes) {
  size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    size_t i = n - back;
    auto c = static_cast<unsigned char>(bytes[i]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back for the lead
    int need = 0;
    int k = utf8_valid_prefix(bytes, i, &need);
    bool incomplete = need > 1 && static_cast<size_t>(k) == back && k < need;
    return incomplete ? i : n;
  }
  return n;
}

bool unicode_is_whitespace(char32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool unicode_is_word_char(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
           cp == '_';
  }
  auto c = static_cast<UChar32>(cp);
  if (u_hasBinaryProperty(c, UCHAR_ALPHABETIC) || u_hasBinaryProperty(c, UCHAR_JOIN_CONTROL))
    return true;
  int8_t t = u_charType(c);
  return t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK || t == U_COMBINING_SPACING_MARK ||
         t == U_DECIMAL_DIGIT_NUMBER || t == U_CONNECTOR_PUNCTUATION;
}

std::string unicode_normalize(std::string_view s, std::string_view form) {
  bool ascii = true;
  for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return std::string(s);  // ASCII is fixed under every form
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2* norm = form == "NFC"    ? unorm2_getNFCInstance(&err)
                             : form == "NFD"  ? unorm2_getNFDInstance(&err)
                             : form == "NFKC" ? unorm2_getNFKCInstance(&err)
                                              : unorm2_getNFKDInstance(&err);
  std::string valid = utf8_lossy(s);
  int32_t n16 = 0;
  u_strFromUTF8(nullptr, 0, &n16, valid.data(), static_cast<int32_t>(valid.size()), &err);
  err = U_ZERO_ERROR;
  std::u16string in(n16, u'\0');
  u_strFromUTF8(in.data(), n16, nullptr, valid.data(), static_cast<int32_t>(valid.size()), &err);
  // NOTE: NFKD may expand a character up to 18 times; start at 3x and retry on overflow.
  std::u16string out(in.size() * 3 + 16, u'\0');
  int32_t len = unorm2_normalize(norm, in.data(), n16, out.data(), out.size(), &err);
  if (err == U_BUFFER_OVERFLOW_ERROR) {
    err = U_ZERO_ERROR;
    out.resize(len);
    len = unorm2_normalize(norm, in.data(), n16, out.data(), out.size(), &err);
  }
  if (U_FAILURE(err)) throw std::runtime_error(std::string("ICU normalize: ") + u_errorName(err));
  int32_t n8 = 0;
  u_strToUTF8(nullptr, 0, &n8, out.data(), len, &err);
  err = U_ZERO_ERROR;
  std::string result(n8, '\0');
  u_strToUTF8(result.data(), n8, nullptr, out.data(), len, &err);
  return result;
}

namespace {

struct ByteLevelTables {
  std::array<std::string, 256> byte_to_char;
  std::array<int, 512> char_to_byte;

  ByteLevelTables() {
    char_to_byte.fill(-1);
    // Printable bytes stand for themselves; the rest map to 256, 257, ... in byte order.
    auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      char32_t cp = printable(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
      utf8_append(&byte_to_char[b], cp);
      char_to_byte[cp] = b;
    }
  }
};

const ByteLevelTables& bytelevel_tables() {
  static const ByteLevelTables tables;
  return tables;
}

}  // namespace

const std::array<std::string, 256>& bytelevel_byte_to_char() {
  return bytelevel_tables().byte_to_char;
}

int bytelevel_char_to_byte(char32_t cp) {
  return cp < 512 ? bytelevel_tables().char_to_byte[cp] : -1;
}

void bytelevel_encode_append(std::string_view bytes, std::string* out) {
  const auto& table = bytelevel_tables().byte_to_char;
  for (char c : bytes) out->append(table[static_cast<unsigned char>(c)]);
}

std::string byte_fallback_token(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", b);
  return buf;
}

int byte_fallback_parse(std::string_view token) {
  if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>') return -1;
  int v = 0;
  for (int i = 3; i < 5; ++i) {
    char c = token[i];
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                     : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

}  // namespace moebench::tokenizer_detail
