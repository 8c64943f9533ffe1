#include "zlib/oneshot.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <new>

#include "zlib/config.h"
#include "zlib/engine_states.h"
#include "zlib/framing.h"
#include "zlib/isal_body.h"
#include "zlib/parallel_deflate.h"
#include "zlib/real_zlib.h"
#include "zlib/stats.h"

namespace accz::zlib {
namespace {

std::nullopt_t to_zlib(Family family, Fallback why) {
  fallback(family, why);
  return std::nullopt;
}

constexpr uLong kFraming = 6;  // 2 header bytes, 4 Adler-32 bytes

// Order-0 entropy of p[0..n) in bits per byte.
double entropy_bits(const uint8_t* p, size_t n) {
  uint32_t counts[256] = {};
  for (size_t i = 0; i < n; ++i) ++counts[p[i]];
  double bits = 0;
  for (uint32_t c : counts) {
    if (c != 0) bits -= c * std::log2(static_cast<double>(c) / static_cast<double>(n));
  }
  return bits / static_cast<double>(n);
}

}  // namespace

bool looks_incompressible(const uint8_t* data, size_t n) {
  constexpr size_t kSample = 4096;
  constexpr double kRandomBits = 7.9;  // 4 KiB of random bytes measure about 7.95
  if (n < kSample) return false;
  for (size_t at : {size_t{0}, (n - kSample) / 2, n - kSample}) {
    if (entropy_bits(data + at, kSample) < kRandomBits) return false;
  }
  return true;
}

DeflateBody deflate_body(int level, std::span<const uint8_t> in, std::span<uint8_t> out,
                         Checksum check, uint32_t seed) {
  DeflateBody body;
  const IsalBody fast = isal_body(level, in, out, check, seed);
  if (fast.no_room) return body;
  if (fast.size != 0) {
    body.size = fast.size;
    body.check = fast.check;
    body.checked = fast.checked;
    body.engine = Engine::kIsal;
    return body;
  }
  const int engine_level = kLibdeflateLevel[level];
  if (const unsigned chunks = parallel_chunks(in.size()); chunks > 1) {
    const ParallelResult r = parallel_deflate(engine_level, in, out, chunks, check, seed);
    if (r.size != 0) {
      body.size = r.size;
      body.check = r.check;
      body.checked = check != Checksum::kNone;
      return body;
    }
  }
  libdeflate_compressor* c = thread_compressor(engine_level);
  if (c == nullptr) {
    body.no_memory = true;
    return body;
  }
  body.size = libdeflate_deflate_compress(c, in.data(), in.size(), out.data(), out.size());
  return body;
}

std::optional<int> engine_compress2(Bytef* dest, uLongf* destLen, const Bytef* source,
                                    uLong sourceLen, int level) {
  constexpr Family kFam = Family::kCompress;
  if (!config().libdeflate) return to_zlib(kFam, Fallback::kEngineOff);
  if (level == Z_DEFAULT_COMPRESSION) level = 6;
  if (level < 0 || level > 9) return to_zlib(kFam, Fallback::kLevelInvalid);
  if (level == 0) return to_zlib(kFam, Fallback::kLevel0);
  if (kLibdeflateLevel[level] == 0) return to_zlib(kFam, Fallback::kLevelNoGain);
  if (sourceLen < kMinEngineInput) return to_zlib(kFam, Fallback::kSmallInput);
  if (dest == Z_NULL || *destLen <= kFraming) return to_zlib(kFam, Fallback::kOutputFull);
  if (looks_incompressible(source, sourceLen)) return to_zlib(kFam, Fallback::kIncompressible);

  const DeflateBody made = deflate_body(level, {source, sourceLen}, {dest + 2, *destLen - kFraming},
                                        Checksum::kAdler32, 1);
  if (made.size == 0)
    return to_zlib(kFam, made.no_memory ? Fallback::kNoMemory : Fallback::kOutputFull);
  const size_t body = made.size;
  const uint32_t adler = made.checked ? made.check : isal_adler32(1, source, sourceLen);
  write_zlib_header(dest, level);
  write_be32(dest + 2 + body, adler);
  uLong total = body + kFraming;

  // Near-incompressible data is where libdeflate's block choices lose to zlib's (a JPEG in the
  // corpus: 0.1% larger even at libdeflate's best level). zlib only "wins" if its whole output
  // fits in total - 1 bytes, which is exactly the question a buffer of that size asks.
  if (config().size_check_always || total > sourceLen / 10 * 9) {
    std::unique_ptr<Bytef[]> alt(new (std::nothrow) Bytef[total - 1]);
    uLongf alt_len = total - 1;
    if (alt && real().compress2(alt.get(), &alt_len, source, sourceLen, level) == Z_OK) {
      std::copy(alt.get(), alt.get() + alt_len, dest);
      *destLen = alt_len;
      fallback(kFam, Fallback::kZlibSmaller);
      count(kFam, Engine::kZlib, sourceLen, alt_len);
      return Z_OK;
    }
  }
  *destLen = total;
  count(kFam, made.engine, sourceLen, total);
  return Z_OK;
}

std::optional<int> engine_uncompress2(Bytef* dest, uLongf* destLen, const Bytef* source,
                                      uLong* sourceLen) {
  constexpr Family kFam = Family::kUncompress;
  if (!config().isal) return to_zlib(kFam, Fallback::kEngineOff);
  if (*destLen == 0 || dest == Z_NULL) return to_zlib(kFam, Fallback::kEmptyDest);
  // The zlib header, checked as zlib checks it; a preset dictionary is zlib's error to report.
  if (source == Z_NULL || *sourceLen < kFraming) return to_zlib(kFam, Fallback::kBadInput);
  const unsigned cmf = source[0], flg = source[1];
  if ((cmf & 0x0f) != 8 || (cmf >> 4) > 7 || (cmf * 256 + flg) % 31 != 0 || (flg & 0x20) != 0)
    return to_zlib(kFam, Fallback::kBadInput);
  inflate_state* st = thread_isal_inflate();
  if (st == nullptr) return to_zlib(kFam, Fallback::kNoMemory);
  // Over 4 GiB of either is clamped: a stream that needs more ends short, and zlib serves it.
  const auto clamp = [](uLong n) { return static_cast<uint32_t>(std::min<uLong>(n, UINT32_MAX)); };
  isal_inflate_init(st);
  st->crc_flag = ISAL_DEFLATE;
  st->next_in = const_cast<Bytef*>(source + 2);
  st->avail_in = clamp(*sourceLen - 2);
  st->next_out = dest;
  st->avail_out = clamp(*destLen);
  const uint32_t given = st->avail_in;
  const int r = isal_inflate_stateless(st);
  if (r == ISAL_OUT_OVERFLOW) return to_zlib(kFam, Fallback::kOutputFull);
  if (r != ISAL_DECOMP_OK) return to_zlib(kFam, Fallback::kBadInput);
  // ISA-L reads ahead: the whole bytes still in its bit buffer follow the body (the bits below
  // a byte are the last byte's padding). The Adler-32 trailer comes next.
  const uLong body = (given - st->avail_in) - static_cast<uint32_t>(st->read_in_length) / 8;
  const uLong used = 2 + body + 4;
  if (used > *sourceLen) return to_zlib(kFam, Fallback::kBadInput);
  const Bytef* trailer = source + 2 + body;
  const uint32_t expected = (uint32_t{trailer[0]} << 24) | (uint32_t{trailer[1]} << 16) |
                            (uint32_t{trailer[2]} << 8) | trailer[3];
  if (isal_adler32(1, dest, st->total_out) != expected) return to_zlib(kFam, Fallback::kBadInput);
  *destLen = st->total_out;
  *sourceLen = used;
  count(kFam, Engine::kIsal, used, st->total_out);
  return Z_OK;
}

}  // namespace accz::zlib
