// CRC-32 and Adler-32 with ISA-L's SIMD kernels, and their combine operations.
//
// The combines are written here rather than taken from zlib: libaccz must not call zlib's
// exported symbols (the zlib drop-in replaces them; see engines/zlib/zlib_api.h).
#include <isa-l.h>

#include <array>

#include "accz/framing.h"

namespace accz {
namespace {

// CRC-32 arithmetic in GF(2)[x] modulo the CRC-32 polynomial, in the reflected bit order
// the checksum itself uses: bit 31 holds the coefficient of x^0, bit 0 that of x^31.
constexpr uint32_t kPoly = 0xedb88320u;
constexpr uint32_t kOne = 0x80000000u;  // the polynomial 1

constexpr uint32_t mul_mod_p(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t bit = kOne; bit != 0; bit >>= 1) {
    if (a & bit) product ^= b;
    b = (b & 1) ? (b >> 1) ^ kPoly : b >> 1;  // b *= x
  }
  return product;
}

// kPowers[k] = x^(2^k) mod P, for every k a 64-bit byte count times 8 can need.
constexpr std::array<uint32_t, 67> make_powers() {
  std::array<uint32_t, 67> t{};
  t[0] = kOne >> 1;  // x^1
  for (size_t k = 1; k < t.size(); ++k) t[k] = mul_mod_p(t[k - 1], t[k - 1]);
  return t;
}
constexpr std::array<uint32_t, 67> kPowers = make_powers();

// x^(8 * len) mod P: appending len zero bytes multiplies the CRC register by this.
uint32_t x_pow_8n(uint64_t len) {
  uint32_t p = kOne;
  for (size_t k = 3; len != 0; len >>= 1, ++k)
    if (len & 1) p = mul_mod_p(kPowers[k], p);
  return p;
}

constexpr uint32_t kAdlerBase = 65521;

}  // namespace

uint32_t crc32(uint32_t crc, ByteSpan data) {
  if (data.empty()) return crc;
  return crc32_gzip_refl(crc, data.data(), data.size());
}

uint32_t adler32(uint32_t adler, ByteSpan data) {
  if (data.empty()) return adler;
  return isal_adler32(adler, data.data(), data.size());
}

// The pre- and post-inversion of CRC-32 cancel out in the combination, leaving
// crc(A‖B) = crc(A)·x^(8|B|) ⊕ crc(B).
uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b) {
  return mul_mod_p(x_pow_8n(len_b), crc_a) ^ crc_b;
}

// With s1 = 1 + Σb and s2 = Σ running s1 over B's n bytes:
//   s1(A‖B) = s1(A) + s1(B) − 1,  s2(A‖B) = s2(A) + s2(B) + n·s1(A) − n   (mod 65521).
uint32_t adler32_combine(uint32_t adler_a, uint32_t adler_b, uint64_t len_b) {
  const uint64_t n = len_b % kAdlerBase;
  const uint64_t a1 = adler_a & 0xffff, a2 = adler_a >> 16;
  const uint64_t b1 = adler_b & 0xffff, b2 = adler_b >> 16;
  const uint64_t s1 = (a1 + b1 + kAdlerBase - 1) % kAdlerBase;
  const uint64_t s2 = (a2 + b2 + n * a1 + kAdlerBase - n) % kAdlerBase;
  return static_cast<uint32_t>(s2 << 16 | s1);
}

}  // namespace accz
