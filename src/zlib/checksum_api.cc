// zlib's checksums: Adler-32 and CRC-32 with their combine operators. Phase 1 passes through.
#include "zlib/zlib_api.h"

#include "zlib/real_zlib.h"

using accz::zlib::real;

uLong adler32(uLong adler, const Bytef* buf, uInt len) { return real().adler32(adler, buf, len); }

uLong adler32_z(uLong adler, const Bytef* buf, z_size_t len) {
  return real().adler32_z(adler, buf, len);
}

uLong adler32_combine(uLong adler1, uLong adler2, off_t len2) {
  return real().adler32_combine(adler1, adler2, len2);
}

uLong adler32_combine64(uLong adler1, uLong adler2, off64_t len2) {
  return real().adler32_combine64(adler1, adler2, len2);
}

uLong crc32(uLong crc, const Bytef* buf, uInt len) { return real().crc32(crc, buf, len); }

uLong crc32_z(uLong crc, const Bytef* buf, z_size_t len) { return real().crc32_z(crc, buf, len); }

uLong crc32_combine(uLong crc1, uLong crc2, off_t len2) {
  return real().crc32_combine(crc1, crc2, len2);
}

uLong crc32_combine64(uLong crc1, uLong crc2, off64_t len2) {
  return real().crc32_combine64(crc1, crc2, len2);
}

uLong crc32_combine_gen(off_t len2) { return real().crc32_combine_gen(len2); }

uLong crc32_combine_gen64(off64_t len2) { return real().crc32_combine_gen64(len2); }

uLong crc32_combine_op(uLong crc1, uLong crc2, uLong op) {
  return real().crc32_combine_op(crc1, crc2, op);
}

const z_crc_t* get_crc_table() { return real().get_crc_table(); }
