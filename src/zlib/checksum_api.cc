// zlib's checksums. crc32/adler32 run on ISA-L's SIMD kernels (crc32_gzip_refl, isal_adler32),
// with zlib's exact results for every seed and length; the combine operators and the CRC table
// are the real zlib's (combine calls are rare and their math is zlib's own).
//
// Where zlib's result differs from the plain checksum definition, zlib's is reproduced:
// a NULL buffer returns the initial value (0 for CRC-32, 1 for Adler-32) whatever the seed;
// a CRC seed's bits above 32 are ignored (zlib complements and masks it to 32 bits); an
// Adler-32 seed whose halves are not reduced modulo 65521 goes to zlib, whose arithmetic on
// such a seed is not the engine's.
#include "zlib/zlib_api.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include "zlib/config.h"
#include "zlib/real_zlib.h"
#include "zlib/stats.h"

using accz::zlib::config;
using accz::zlib::count;
using accz::zlib::Engine;
using accz::zlib::Fallback;
using accz::zlib::Family;
using accz::zlib::real;

namespace {

constexpr uLong kAdlerBase = 65521;

uLong crc32_engine(uLong crc, const Bytef* buf, z_size_t len) {
  if (!config().isal) {
    accz::zlib::fallback(Family::kCrc32, Fallback::kEngineOff);
    count(Family::kCrc32, Engine::kZlib, len, 0);
    return real().crc32_z(crc, buf, len);
  }
  count(Family::kCrc32, Engine::kIsal, buf == Z_NULL ? 0 : len, 0);
  if (buf == Z_NULL) return 0;
  return crc32_gzip_refl(static_cast<uint32_t>(crc), buf, len);
}

uLong adler32_engine(uLong adler, const Bytef* buf, z_size_t len) {
  const bool reduced = (adler & 0xffff) < kAdlerBase && ((adler >> 16) & 0xffff) < kAdlerBase;
  if (!config().isal || !reduced) {
    accz::zlib::fallback(Family::kAdler32,
                         !config().isal ? Fallback::kEngineOff : Fallback::kSeedUnreduced);
    count(Family::kAdler32, Engine::kZlib, len, 0);
    return real().adler32_z(adler, buf, len);
  }
  count(Family::kAdler32, Engine::kIsal, buf == Z_NULL ? 0 : len, 0);
  if (buf == Z_NULL) return 1;
  return isal_adler32(static_cast<uint32_t>(adler & 0xffffffff), buf, len);
}

template <typename Fn, typename... Args>
uLong combine(Fn fn, Args... args) {
  count(Family::kCombine, Engine::kZlib, 0, 0);
  return fn(args...);
}

}  // namespace

uLong adler32(uLong adler, const Bytef* buf, uInt len) { return adler32_engine(adler, buf, len); }

uLong adler32_z(uLong adler, const Bytef* buf, z_size_t len) {
  return adler32_engine(adler, buf, len);
}

uLong adler32_combine(uLong adler1, uLong adler2, off_t len2) {
  return combine(real().adler32_combine, adler1, adler2, len2);
}

uLong adler32_combine64(uLong adler1, uLong adler2, off64_t len2) {
  return combine(real().adler32_combine64, adler1, adler2, len2);
}

uLong crc32(uLong crc, const Bytef* buf, uInt len) { return crc32_engine(crc, buf, len); }

uLong crc32_z(uLong crc, const Bytef* buf, z_size_t len) { return crc32_engine(crc, buf, len); }

uLong crc32_combine(uLong crc1, uLong crc2, off_t len2) {
  return combine(real().crc32_combine, crc1, crc2, len2);
}

uLong crc32_combine64(uLong crc1, uLong crc2, off64_t len2) {
  return combine(real().crc32_combine64, crc1, crc2, len2);
}

uLong crc32_combine_gen(off_t len2) { return combine(real().crc32_combine_gen, len2); }

uLong crc32_combine_gen64(off64_t len2) { return combine(real().crc32_combine_gen64, len2); }

uLong crc32_combine_op(uLong crc1, uLong crc2, uLong op) {
  return combine(real().crc32_combine_op, crc1, crc2, op);
}

const z_crc_t* get_crc_table() { return real().get_crc_table(); }
