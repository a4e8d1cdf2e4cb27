#include "util/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#define TERN_CRC32C_X86 1
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#define TERN_CRC32C_ARM 1
#endif

namespace tern::crc32c {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the slicing tables and Load64 assume a little-endian host");

constexpr uint32_t kPolynomial = 0x82f63b78;  // reflected Castagnoli

// kTable[k][b]: the CRC of byte b followed by k zero bytes, for slicing-by-8.
constexpr std::array<std::array<uint32_t, 256>, 8> MakeTable() {
  std::array<std::array<uint32_t, 256>, 8> table{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    }
    table[0][b] = crc;
  }
  for (int k = 1; k < 8; ++k) {
    for (int b = 0; b < 256; ++b) {
      uint32_t prev = table[k - 1][b];
      table[k][b] = (prev >> 8) ^ table[0][prev & 0xff];
    }
  }
  return table;
}

constexpr std::array<std::array<uint32_t, 256>, 8> kTable = MakeTable();

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// crc is the running value, pre-inverted (as ~0 for a fresh CRC).
uint32_t ExtendSoftware(uint32_t crc, const char* p, size_t n) {
  const auto& t = kTable;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v = Load64(p) ^ crc;
    crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^
          t[4][(v >> 24) & 0xff] ^ t[3][(v >> 32) & 0xff] ^
          t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
  }
  for (; n > 0; ++p, --n) {
    crc = (crc >> 8) ^ t[0][(crc ^ static_cast<uint8_t>(*p)) & 0xff];
  }
  return crc;
}

#if defined(TERN_CRC32C_X86)
#define TERN_CRC32C_TARGET __attribute__((target("sse4.2")))
TERN_CRC32C_TARGET uint64_t Step64(uint64_t crc, const char* p) {
  return _mm_crc32_u64(crc, Load64(p));
}
TERN_CRC32C_TARGET uint32_t Step8(uint32_t crc, char c) {
  return _mm_crc32_u8(crc, static_cast<uint8_t>(c));
}
bool HaveHardware() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#elif defined(TERN_CRC32C_ARM)
#define TERN_CRC32C_TARGET
uint64_t Step64(uint64_t crc, const char* p) {
  return __crc32cd(static_cast<uint32_t>(crc), Load64(p));
}
uint32_t Step8(uint32_t crc, char c) {
  return __crc32cb(crc, static_cast<uint8_t>(c));
}
bool HaveHardware() { return true; }
#endif

#if defined(TERN_CRC32C_TARGET)
TERN_CRC32C_TARGET uint32_t ExtendHardware(uint32_t crc, const char* p,
                                           size_t n) {
  uint64_t c = crc;
  for (; n >= 8; p += 8, n -= 8) c = Step64(c, p);
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = Step8(c32, *p);
  return c32;
}

// The CRCs of three n-byte blocks at once: the instruction's latency is
// three times its issue interval, so three independent chains fill the pipe.
TERN_CRC32C_TARGET void ThreeBlocks(const char* p, size_t n, uint32_t* out) {
  const char* q = p + n;
  const char* r = q + n;
  uint64_t a = 0xffffffff, b = a, c = a;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    a = Step64(a, p + i);
    b = Step64(b, q + i);
    c = Step64(c, r + i);
  }
  out[0] = ~ExtendHardware(static_cast<uint32_t>(a), p + i, n - i);
  out[1] = ~ExtendHardware(static_cast<uint32_t>(b), q + i, n - i);
  out[2] = ~ExtendHardware(static_cast<uint32_t>(c), r + i, n - i);
}
#else
bool HaveHardware() { return false; }
uint32_t ExtendHardware(uint32_t crc, const char* p, size_t n) {
  return ExtendSoftware(crc, p, n);
}
void ThreeBlocks(const char* p, size_t n, uint32_t* out) {
  for (int i = 0; i < 3; ++i) out[i] = ~ExtendSoftware(~0u, p + i * n, n);
}
#endif

uint32_t Extend(uint32_t crc, const char* p, size_t n) {
  return HaveHardware() ? ExtendHardware(crc, p, n) : ExtendSoftware(crc, p, n);
}

}  // namespace

uint32_t Value(std::string_view data) {
  return ~Extend(~0u, data.data(), data.size());
}

void Blocks(std::string_view data, size_t block_size, uint32_t* out) {
  size_t i = 0;
  if (HaveHardware()) {
    for (; data.size() - i >= 3 * block_size; i += 3 * block_size) {
      ThreeBlocks(data.data() + i, block_size, out);
      out += 3;
    }
  }
  for (; i < data.size(); i += block_size) {
    *out++ = Value(data.substr(i, block_size));
  }
}

}  // namespace tern::crc32c
