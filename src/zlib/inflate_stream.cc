#include "zlib/inflate_stream.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>

#include "zlib/config.h"
#include "zlib/host_alloc.h"
#include "zlib/real_zlib.h"
#include "zlib/stats.h"
#include "zlib/stream_memory.h"

namespace accz::zlib {

enum class InflateMode : uint8_t { kEngine, kZlib, kFailed };

// Where the engine path is in the stream; the wrapper phases are zlib's inflate modes.
enum class Phase : uint8_t {
  kHead,
  kFlags,
  kTime,
  kOs,
  kExtraLen,
  kExtra,
  kName,
  kComment,
  kHeaderCrc,
  kDictId,
  kDict,
  kBody,
  kErrorDrain,  // bad data found ahead: hand out what ISA-L decoded before it, then fail
  kCheck,
  kLength,
  kDone,
  kBad,
};

class InflateStream {
 public:
  StreamHead head;  // first: what owned_state() checks
  z_stream inner;   // the real zlib stream with the same windowBits
  StreamAlloc alloc;
  int window_bits;  // as given to init/reset2
  bool zlib_ok, gzip_ok;
  bool validate;  // zlib's wrap & 4: check values computed and compared
  InflateMode mode;
  Phase phase;
  bool gzip;           // the member being read has a gzip wrapper
  bool have_dict;      // inflateSetDictionary done in kDict
  bool body_started;   // isal_inflate has run
  bool produced;       // any output since the last reset
  bool replay_ok;      // `replay` holds every byte consumed since the last reset
  uint32_t flags;      // gzip FLG << 8 | CM, as zlib keeps it
  uint32_t hold;       // bytes of a multi-byte field gathered so far (little-endian)
  unsigned have;       // how many
  uint32_t length;     // extra field bytes left / name or comment bytes stored
  uint32_t check;      // running Adler-32 / CRC-32
  uint64_t total;      // output bytes of this member (gzip ISIZE)
  gz_headerp header;   // inflateGetHeader's, or null
  char* error_msg;     // kErrorDrain: the message the stream fails with
  ByteBuffer replay;   // input consumed while no output existed, for a move to zlib
  ByteBuffer window;   // zlib's window: output of past calls (and dictionary), last 32 KiB
  bool window_frozen;  // this call read the check value: zlib leaves its output out
  uint8_t held[8];     // bytes past the deflate body consumed in earlier calls (trailer)
  unsigned held_len, held_pos;
  // ISA-L does not stop a distance reaching before the start of a stream's first 32 KiB (it
  // reports the error only after copying): such a copy reads up to 32 KiB before
  // isal.tmp_out_buffer, which lies about 21 KiB into inflate_state. This zeroed, never written
  // guard keeps that read inside this object, and reset_engine() clears the decoder state so
  // nothing of an earlier stream can be read back.
  uint8_t guard[16384];
  inflate_state isal;
};
static_assert(offsetof(inflate_state, tmp_out_buffer) + sizeof(InflateStream::guard) >=
                  (size_t{1} << MAX_WBITS) + 512,
              "the guard must cover a 32 KiB reach before tmp_out_buffer");

namespace {

constexpr Family kFam = Family::kInflate;
constexpr size_t kReplayLimit = 1 << 20;
char kIncorrectHeader[] = "incorrect header check";
char kUnknownMethod[] = "unknown compression method";
char kInvalidWindow[] = "invalid window size";
char kUnknownFlags[] = "unknown header flags set";
char kHeaderCrc[] = "header crc mismatch";
char kDataCheck[] = "incorrect data check";
char kLengthCheck[] = "incorrect length check";
char kInvalidCodes[] = "invalid code lengths set";
char kInvalidCode[] = "invalid literal/length code";
char kTooFar[] = "invalid distance too far back";

bool engine_serves(int window_bits, Fallback& why) {
  if (!config().inflate_stream) {
    why = Fallback::kEngineOff;
    return false;
  }
  if (window_bits == 0 || window_bits == MAX_WBITS || window_bits == -MAX_WBITS ||
      window_bits == MAX_WBITS + 16 || window_bits == MAX_WBITS + 32)
    return true;
  why = Fallback::kWindowBits;
  return false;
}

void set_window_bits(InflateStream* is, int window_bits) {
  is->window_bits = window_bits;
  if (window_bits >= 0) {
    const int wrap = (window_bits >> 4) + 1;  // zlib: 1 zlib, 2 gzip, 3 both
    is->zlib_ok = (wrap & 1) != 0;
    is->gzip_ok = (wrap & 2) != 0;
  } else {
    is->zlib_ok = is->gzip_ok = false;
  }
  is->validate = window_bits >= 0;
}

void reset_engine(InflateStream* is) {
  is->phase = is->zlib_ok || is->gzip_ok ? Phase::kHead : Phase::kBody;
  is->gzip = is->have_dict = is->body_started = is->produced = false;
  is->replay_ok = true;
  is->flags = 0;
  is->hold = is->have = is->length = 0;
  is->check = 0;
  is->total = 0;
  is->replay.len = 0;
  is->window.len = 0;
  is->window_frozen = false;
  is->held_len = is->held_pos = 0;
  std::memset(static_cast<void*>(&is->isal), 0, sizeof is->isal);
  isal_inflate_init(&is->isal);
  is->isal.crc_flag = ISAL_DEFLATE;
  is->isal.hist_bits = 0;
}

void to_inner(InflateStream* is) {
  z_streamp s = is->head.strm;
  z_stream& z = is->inner;
  z.next_in = s->next_in;
  z.avail_in = s->avail_in;
  z.total_in = s->total_in;
  z.next_out = s->next_out;
  z.avail_out = s->avail_out;
  z.total_out = s->total_out;
  z.msg = s->msg;
  z.data_type = s->data_type;
  z.adler = s->adler;
}

void from_inner(InflateStream* is) {
  z_streamp s = is->head.strm;
  const z_stream& z = is->inner;
  s->next_in = z.next_in;
  s->avail_in = z.avail_in;
  s->total_in = z.total_in;
  s->next_out = z.next_out;
  s->avail_out = z.avail_out;
  s->total_out = z.total_out;
  s->msg = z.msg;
  s->data_type = z.data_type;
  s->adler = z.adler;
}

template <typename Call>
auto forward(InflateStream* is, Call&& call) {
  to_inner(is);
  const auto rc = call(&is->inner);
  from_inner(is);
  return rc;
}

// Moves the stream to its zlib stream while nothing was decoded: the header bytes consumed so
// far are fed to it. False when that is no longer possible (the caller answers otherwise).
bool move_to_zlib(InflateStream* is, Fallback why) {
  if (is->mode == InflateMode::kZlib) return true;
  // Exact only while nothing was decoded: ISA-L's internal output buffer must be empty too.
  if (is->mode != InflateMode::kEngine || is->produced || !is->replay_ok || is->have_dict ||
      is->isal.tmp_out_valid != is->isal.tmp_out_processed)
    return false;
  z_stream& z = is->inner;
  if (is->header != Z_NULL && real().inflateGetHeader(&z, is->header) != Z_OK) return false;
  if (is->replay.len != 0) {
    Bytef sink = 0;
    z.next_in = is->replay.data;
    z.avail_in = static_cast<uInt>(is->replay.len);
    z.next_out = &sink;
    z.avail_out = 0;
    const int rc = real().inflate(&z, Z_NO_FLUSH);
    if ((rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_NEED_DICT) || z.avail_in != 0) return false;
  }
  fallback(kFam, why);
  is->replay.free(is->alloc);
  is->mode = InflateMode::kZlib;
  return true;
}

// Keeps consumed input for a move to zlib, while no output exists (move_to_zlib).
void record(InflateStream* is, const Bytef* p, size_t n) {
  if (!is->replay_ok || is->produced || n == 0) return;
  if (is->replay.len + n > kReplayLimit || !is->replay.append(is->alloc, p, n))
    is->replay_ok = false;
}

// The next input byte: first what the body left over from earlier calls, then next_in.
bool pull(InflateStream* is, uint8_t& b) {
  z_streamp s = is->head.strm;
  if (is->held_pos < is->held_len) {
    b = is->held[is->held_pos++];
    return true;
  }
  if (s->avail_in == 0) return false;
  b = *s->next_in++;
  --s->avail_in;
  record(is, &b, 1);
  return true;
}

// Gathers an n-byte little-endian field into hold; true when complete.
bool need(InflateStream* is, unsigned n) {
  uint8_t b;
  while (is->have < n) {
    if (!pull(is, b)) return false;
    is->hold |= static_cast<uint32_t>(b) << (8 * is->have);
    ++is->have;
  }
  return true;
}

void init_bits(InflateStream* is) { is->hold = is->have = 0; }

void header_crc(InflateStream* is, uint32_t value, unsigned bytes) {
  if ((is->flags & 0x0200) == 0 || !is->validate) return;
  uint8_t b[4];
  for (unsigned i = 0; i < bytes; ++i) b[i] = static_cast<uint8_t>(value >> (8 * i));
  is->check = crc32_gzip_refl(is->check, b, bytes);
}

int bad(InflateStream* is, char* msg) {
  is->head.strm->msg = msg;
  is->phase = Phase::kBad;
  return Z_DATA_ERROR;
}

// Whole bytes ISA-L holds in its bit buffer go back to next_in, as far as they came from the
// input of this isal_inflate call (so next_in stays valid); the rest are kept in `held`
// (only at the end of the body, for the trailer).
void give_back(InflateStream* is, uInt consumed_now, bool keep_rest) {
  z_streamp s = is->head.strm;
  inflate_state& st = is->isal;
  const unsigned whole = static_cast<unsigned>(st.read_in_length) / 8;
  const unsigned back = std::min<unsigned>(whole, consumed_now);
  const unsigned partial = static_cast<unsigned>(st.read_in_length) % 8;
  if (keep_rest) {
    // Drop the partial byte's bits: what follows the body starts on a byte boundary.
    uint64_t bits = st.read_in >> partial;
    const unsigned older = whole - back;
    is->held_len = is->held_pos = 0;
    for (unsigned i = 0; i < older && i < sizeof is->held; ++i) {
      is->held[is->held_len++] = static_cast<uint8_t>(bits);
      bits >>= 8;
    }
    st.read_in = 0;
    st.read_in_length = 0;
  } else {
    const int keep = st.read_in_length - static_cast<int>(8 * back);
    st.read_in_length = keep;
    st.read_in = keep >= 64 ? st.read_in : st.read_in & ((uint64_t{1} << keep) - 1);
  }
  s->next_in -= back;
  s->avail_in += back;
}

// run_body's answer when ISA-L rejected the data before any output: the caller moves the stream
// to zlib (its input as at the start of the pass) and lets zlib answer the call.
constexpr int kMoveToZlib = 1000;

// One pass of the body through isal_inflate. Returns Z_OK to go on, kMoveToZlib, or anything
// else to leave.
int run_body(InflateStream* is, bool& progress_possible) {
  z_streamp s = is->head.strm;
  inflate_state& st = is->isal;
  is->body_started = true;
  const Bytef* const in_start = s->next_in;
  const uInt in_before = s->avail_in;
  st.next_in = s->next_in;
  st.avail_in = s->avail_in;
  st.next_out = s->next_out;
  st.avail_out = s->avail_out;
  const int r = isal_inflate(&st);
  const uInt consumed = s->avail_in - st.avail_in;
  Bytef* const out_start = s->next_out;
  const uInt out_before = s->avail_out;
  // ISA-L's error exits can leave avail_out short by bytes next_out never moved over (seen: 274,
  // a match it then rejected; fuzz seed 778034); next_out marks what was written, and the
  // caller's pair must agree, as zlib's always does.
  const uInt made =
      r < 0 ? static_cast<uInt>(std::clamp<ptrdiff_t>(st.next_out - out_start, 0, out_before))
            : out_before - st.avail_out;
  s->next_in = st.next_in;
  s->avail_in = st.avail_in;
  s->next_out = out_start + made;
  s->avail_out = out_before - made;
  if (made != 0) {
    is->produced = true;
    is->total += made;
    if (is->validate) {
      is->check = is->gzip ? crc32_gzip_refl(is->check, out_start, made)
                           : isal_adler32(is->check, out_start, made);
    }
  }
  progress_possible = false;
  if (r < 0) {
    // ISA-L's error exits do not always keep next_in and avail_in in step; the caller's
    // view must be (avail_in is the one its decoders maintain).
    const uInt used = std::min(consumed, in_before);
    s->next_in = const_cast<Bytef*>(in_start) + used;
    s->avail_in = in_before - used;
    char* msg = r == ISAL_INVALID_LOOKBACK ? kTooFar
                : r == ISAL_INVALID_SYMBOL ? kInvalidCode
                                           : kInvalidCodes;
    // Nothing decoded yet: zlib, given the same bytes, gives the verdict. ISA-L can reject
    // bits it filled in past the end of the input (a damaged block header with its input cut
    // short: fuzz seed 777199), where zlib still asks for more; and zlib names the cause.
    if (!is->produced && is->replay_ok && st.tmp_out_processed >= st.tmp_out_valid) {
      s->next_in = const_cast<Bytef*>(in_start);
      s->avail_in = in_before;
      is->error_msg = msg;
      return kMoveToZlib;
    }
    // ISA-L decodes ahead into its own buffer: zlib, decoding only into the caller's, would
    // hand out what comes before the bad data first and fail only when it gets there.
    // Not for a distance too far back: ISA-L has copied that match already (filler bytes).
    if (r != ISAL_INVALID_LOOKBACK && s->avail_out == 0 &&
        st.tmp_out_processed < st.tmp_out_valid) {
      is->error_msg = msg;
      is->phase = Phase::kErrorDrain;
      return Z_OK;
    }
    return bad(is, msg);
  }
  if (st.block_state == ISAL_BLOCK_FINISH) {
    give_back(is, consumed, true);
    if (made == 0) record(is, in_start, static_cast<size_t>(s->next_in - in_start));
    is->phase = is->zlib_ok || is->gzip_ok ? Phase::kCheck : Phase::kDone;
    init_bits(is);
    progress_possible = true;
    return Z_OK;
  }
  // Output full: input ISA-L read ahead goes back, so that a caller that stops here (or ends
  // the stream) sees next_in where zlib would have it, give or take the bits of one symbol.
  // Only when this pass produced output: a pass with no room that made nothing keeps what it
  // read, as zlib (which pulls the bits of the next code even when it has no room to write
  // it) does. Giving that back too left the call with no progress at all -- Z_BUF_ERROR with
  // input available -- when the bytes were a final end-of-block code cut short by the end of
  // the input: git's index-pack, which calls again with the same input and stops at anything
  // but Z_OK, failed with "inflate returned -5" (README.md, "The git clone failure").
  if (s->avail_out == 0 && made != 0 && st.block_state != ISAL_BLOCK_HDR)
    give_back(is, consumed, false);
  if (made == 0) record(is, in_start, static_cast<size_t>(s->next_in - in_start));
  return Z_OK;
}

// The rest of a call whose stream just moved to zlib: the bytes this call consumed before the
// move were replayed to zlib, so they count in total_in as this call's -- unless zlib returns
// Z_NEED_DICT, which does not count its call's input (zlib's own quirk) -- and they were
// progress, except for Z_FINISH (zlib: not ended is Z_BUF_ERROR).
int forward_moved(InflateStream* is, int flush, uInt in0) {
  z_streamp s = is->head.strm;
  const uLong before_now = in0 - s->avail_in;
  const int rc = forward(is, [&](z_streamp z) { return real().inflate(z, flush); });
  if (rc != Z_NEED_DICT) s->total_in += before_now;
  return rc == Z_BUF_ERROR && before_now != 0 && flush != Z_FINISH ? Z_OK : rc;
}

int data_type(const InflateStream* is) {
  const inflate_state& st = is->isal;
  int t = 0;
  if (is->phase == Phase::kBody) {
    t = st.read_in_length & 7;
    if (st.bfinal) t += 64;
    if (st.block_state == ISAL_BLOCK_NEW_HDR && st.tmp_out_processed == st.tmp_out_valid) t += 128;
  } else if (is->phase >= Phase::kCheck && is->phase != Phase::kBad) {
    t = 64;
  }
  return t;
}

constexpr size_t kWindow = size_t{1} << MAX_WBITS;

// zlib's updatewindow: the last 32 KiB of what a call handed out (inflateGetDictionary's
// answer), kept as a sliding copy. A failed allocation leaves the window short, which only
// inflateGetDictionary can see.
void update_window(InflateStream* is, const Bytef* p, size_t n) {
  if (n == 0) return;
  if (n > kWindow) {
    p += n - kWindow;
    n = kWindow;
  }
  ByteBuffer& w = is->window;
  if (w.len + n > 2 * kWindow) {
    const size_t keep = std::min(w.len, kWindow - n);
    std::memmove(w.data, w.data + w.len - keep, keep);
    w.len = keep;
  }
  if (w.cap < 2 * kWindow && !w.reserve_more(is->alloc, 2 * kWindow - w.len)) return;
  std::memcpy(w.data + w.len, p, n);
  w.len += n;
}

void count_stream(InflateStream* is) {
  z_streamp s = is->head.strm;
  if (s->total_in == 0 && s->total_out == 0) return;
  count(kFam, is->mode == InflateMode::kEngine ? Engine::kIsal : Engine::kZlib, s->total_in,
        s->total_out);
}

}  // namespace

InflateStream* inflate_stream(z_streamp strm) {
  return owned_state<InflateStream>(strm, kInflateMagic);
}

int inflate_init(z_streamp strm, int windowBits, const char* version, int stream_size) {
  auto zlib_init = [&] {
    return init_with_host_allocator(
        strm, [&] { return real().inflateInit2_(strm, windowBits, version, stream_size); });
  };
  if (strm == Z_NULL) return zlib_init();
  Fallback why{};
  if (!engine_serves(windowBits, why)) {
    const int rc = zlib_init();
    if (rc == Z_OK) fallback(kFam, why);
    return rc;
  }
  StreamAlloc a{strm->zalloc != Z_NULL ? strm->zalloc : host_zalloc,
                strm->zfree != Z_NULL ? strm->zfree : host_zfree, strm->opaque};
  void* mem = a.allocate(sizeof(InflateStream));
  if (mem == nullptr) {
    const int rc = zlib_init();
    if (rc == Z_OK) fallback(kFam, Fallback::kNoMemory);
    return rc;
  }
  auto* is = new (mem) InflateStream();
  is->inner.zalloc = a.zalloc;
  is->inner.zfree = a.zfree;
  is->inner.opaque = a.opaque;
  // The caller's next_in/avail_in matter to zlib 1.2.13's inflateInit only for its checks.
  is->inner.next_in = strm->next_in;
  is->inner.avail_in = strm->avail_in;
  if (real().inflateInit2_(&is->inner, windowBits, version, stream_size) != Z_OK) {
    a.release(mem);
    return zlib_init();
  }
  is->head = StreamHead{is, kInflateMagic, strm};
  is->alloc = a;
  is->mode = InflateMode::kEngine;
  set_window_bits(is, windowBits);
  reset_engine(is);
  strm->zalloc = a.zalloc;
  strm->zfree = a.zfree;
  strm->state = reinterpret_cast<internal_state*>(is);
  strm->msg = Z_NULL;
  strm->total_in = strm->total_out = 0;
  if (is->zlib_ok || is->gzip_ok) strm->adler = is->inner.adler;  // raw: zlib leaves it alone
  return Z_OK;
}

int inflate_call(InflateStream* is, int flush) {
  if (is->mode == InflateMode::kFailed) return Z_STREAM_ERROR;
  if (is->mode == InflateMode::kZlib)
    return forward(is, [&](z_streamp z) { return real().inflate(z, flush); });
  z_streamp s = is->head.strm;
  if (s->next_out == Z_NULL || (s->next_in == Z_NULL && s->avail_in != 0)) return Z_STREAM_ERROR;
  if (flush == Z_BLOCK || flush == Z_TREES) {
    // Stopping at block boundaries is zlib's alone: move while that is still exact; after
    // output, decode on as for Z_NO_FLUSH (the caller sees no boundary bits in data_type).
    if (move_to_zlib(is, Fallback::kFlush))
      return forward(is, [&](z_streamp z) { return real().inflate(z, flush); });
  }
  const uInt in0 = s->avail_in, out0 = s->avail_out;
  int ret = Z_OK;
  uint8_t b = 0;
  for (bool more = true; more;) {
    switch (is->phase) {
      case Phase::kHead: {
        if (!need(is, 2)) {
          more = false;
          break;
        }
        const uint32_t h = is->hold;
        if (is->gzip_ok && h == 0x8b1f) {
          is->gzip = true;
          is->check = crc32_gzip_refl(0, reinterpret_cast<const uint8_t*>("\x1f\x8b"), 2);
          init_bits(is);
          is->phase = Phase::kFlags;
          break;
        }
        if (is->header != Z_NULL) is->header->done = -1;
        const uint32_t cmf = h & 0xff, flg = h >> 8;
        if (!is->zlib_ok || ((cmf << 8) + flg) % 31 != 0) {
          ret = bad(is, kIncorrectHeader);
          more = false;
          break;
        }
        if ((cmf & 0x0f) != Z_DEFLATED) {
          ret = bad(is, kUnknownMethod);
          more = false;
          break;
        }
        const int len = static_cast<int>(cmf >> 4) + 8;
        const int wbits = is->window_bits == 0 ? len : is->window_bits;
        if (len > 15 || len > wbits) {
          ret = bad(is, kInvalidWindow);
          more = false;
          break;
        }
        if (len < MAX_WBITS && is->window_bits == 0 && move_to_zlib(is, Fallback::kHeaderWindow))
          return forward_moved(is, flush, in0);  // zlib decodes with the announced window
        s->adler = is->check = 1;
        init_bits(is);
        is->phase = (flg & 0x20) != 0 ? Phase::kDictId : Phase::kBody;
        break;
      }
      case Phase::kFlags:
        if (!need(is, 2)) {
          more = false;
          break;
        }
        is->flags = is->hold;
        if ((is->flags & 0xff) != Z_DEFLATED) {
          ret = bad(is, kUnknownMethod);
          more = false;
          break;
        }
        if ((is->flags & 0xe000) != 0) {
          ret = bad(is, kUnknownFlags);
          more = false;
          break;
        }
        if (is->header != Z_NULL) is->header->text = static_cast<int>((is->hold >> 8) & 1);
        header_crc(is, is->hold, 2);
        init_bits(is);
        is->phase = Phase::kTime;
        break;
      case Phase::kTime:
        if (!need(is, 4)) {
          more = false;
          break;
        }
        if (is->header != Z_NULL) is->header->time = is->hold;
        header_crc(is, is->hold, 4);
        init_bits(is);
        is->phase = Phase::kOs;
        break;
      case Phase::kOs:
        if (!need(is, 2)) {
          more = false;
          break;
        }
        if (is->header != Z_NULL) {
          is->header->xflags = static_cast<int>(is->hold & 0xff);
          is->header->os = static_cast<int>(is->hold >> 8);
        }
        header_crc(is, is->hold, 2);
        init_bits(is);
        is->phase = Phase::kExtraLen;
        break;
      case Phase::kExtraLen:
        if ((is->flags & 0x0400) != 0) {
          if (!need(is, 2)) {
            more = false;
            break;
          }
          is->length = is->hold;
          if (is->header != Z_NULL) is->header->extra_len = is->hold;
          header_crc(is, is->hold, 2);
          init_bits(is);
        } else if (is->header != Z_NULL) {
          is->header->extra = Z_NULL;
        }
        is->phase = Phase::kExtra;
        break;
      case Phase::kExtra:
        if ((is->flags & 0x0400) != 0) {
          while (is->length != 0 && pull(is, b)) {
            gz_headerp h = is->header;
            if (h != Z_NULL && h->extra != Z_NULL) {
              const uInt at = h->extra_len - is->length;
              if (at < h->extra_max) h->extra[at] = b;
            }
            header_crc(is, b, 1);
            --is->length;
          }
          if (is->length != 0) {
            more = false;
            break;
          }
        }
        is->length = 0;
        is->phase = Phase::kName;
        break;
      case Phase::kName:
      case Phase::kComment: {
        const bool name = is->phase == Phase::kName;
        if ((is->flags & (name ? 0x0800 : 0x1000)) != 0) {
          bool ended = false;
          while (pull(is, b)) {
            gz_headerp h = is->header;
            Bytef* field = h == Z_NULL ? Z_NULL : name ? h->name : h->comment;
            const uInt max = h == Z_NULL ? 0 : name ? h->name_max : h->comm_max;
            if (field != Z_NULL && is->length < max) field[is->length++] = b;
            header_crc(is, b, 1);
            if (b == 0) {
              ended = true;
              break;
            }
          }
          if (!ended) {
            more = false;
            break;
          }
        } else if (is->header != Z_NULL) {
          (name ? is->header->name : is->header->comment) = Z_NULL;
        }
        is->length = 0;
        is->phase = name ? Phase::kComment : Phase::kHeaderCrc;
        break;
      }
      case Phase::kHeaderCrc:
        if ((is->flags & 0x0200) != 0) {
          if (!need(is, 2)) {
            more = false;
            break;
          }
          if (is->validate && is->hold != (is->check & 0xffff)) {
            ret = bad(is, kHeaderCrc);
            more = false;
            break;
          }
          init_bits(is);
        }
        if (is->header != Z_NULL) {
          is->header->hcrc = static_cast<int>((is->flags >> 9) & 1);
          is->header->done = 1;
        }
        s->adler = is->check = 0;
        is->phase = Phase::kBody;
        break;
      case Phase::kDictId:
        if (!need(is, 4)) {
          more = false;
          break;
        }
        s->adler = is->check = __builtin_bswap32(is->hold);
        init_bits(is);
        is->phase = Phase::kDict;
        break;
      case Phase::kDict:
        if (!is->have_dict) {
          // zlib returns from here without counting this call's input in total_in.
          return Z_NEED_DICT;
        }
        s->adler = is->check = 1;
        is->phase = Phase::kBody;
        break;
      case Phase::kBody: {
        // No room and decoded output still waiting inside ISA-L: zlib would be stuck here
        // too (it decodes only into the caller's buffer), so no progress.
        if (s->avail_out == 0 && is->isal.tmp_out_processed < is->isal.tmp_out_valid) {
          more = false;
          break;
        }
        bool go_on = false;
        ret = run_body(is, go_on);
        if (ret == kMoveToZlib) {
          if (move_to_zlib(is, Fallback::kBadInput)) return forward_moved(is, flush, in0);
          ret = bad(is, is->error_msg);
        }
        more = go_on && ret == Z_OK;
        break;
      }
      case Phase::kErrorDrain: {
        inflate_state& st = is->isal;
        const uInt n = std::min<uInt>(static_cast<uInt>(st.tmp_out_valid - st.tmp_out_processed),
                                      s->avail_out);
        if (n != 0) {
          std::memcpy(s->next_out, st.tmp_out_buffer + st.tmp_out_processed, n);
          if (is->validate) {
            is->check = is->gzip ? crc32_gzip_refl(is->check, s->next_out, n)
                                 : isal_adler32(is->check, s->next_out, n);
          }
          st.tmp_out_processed += static_cast<int32_t>(n);
          s->next_out += n;
          s->avail_out -= n;
          is->total += n;
          is->produced = true;
        }
        if (st.tmp_out_processed >= st.tmp_out_valid) ret = bad(is, is->error_msg);
        more = false;
        break;
      }
      case Phase::kCheck:
        if (!need(is, 4)) {
          more = false;
          break;
        }
        is->window_frozen = true;  // zlib: "out = left" once the check value is read
        if (is->validate && (is->gzip ? is->hold : __builtin_bswap32(is->hold)) != is->check) {
          ret = bad(is, kDataCheck);
          more = false;
          break;
        }
        init_bits(is);
        is->phase = is->gzip ? Phase::kLength : Phase::kDone;
        break;
      case Phase::kLength:
        if (!need(is, 4)) {
          more = false;
          break;
        }
        if (is->validate && is->hold != static_cast<uint32_t>(is->total)) {
          ret = bad(is, kLengthCheck);
          more = false;
          break;
        }
        init_bits(is);
        is->phase = Phase::kDone;
        break;
      case Phase::kDone:
        ret = Z_STREAM_END;
        more = false;
        break;
      case Phase::kBad:
        ret = Z_DATA_ERROR;
        more = false;
        break;
    }
  }
  const uInt in = in0 - s->avail_in, out = out0 - s->avail_out;
  if (!is->window_frozen) update_window(is, s->next_out - out, out);
  is->window_frozen = false;
  s->total_in += in;
  s->total_out += out;
  if (is->validate && out != 0 && (is->zlib_ok || is->gzip_ok)) s->adler = is->check;
  s->data_type = data_type(is);
  if (((in == 0 && out == 0) || flush == Z_FINISH) && ret == Z_OK) ret = Z_BUF_ERROR;
  return ret;
}

int inflate_end(InflateStream* is) {
  z_streamp s = is->head.strm;
  count_stream(is);
  real().inflateEnd(&is->inner);
  is->replay.free(is->alloc);
  is->window.free(is->alloc);
  const StreamAlloc a = is->alloc;
  is->head.self = nullptr;
  a.release(is);
  s->state = Z_NULL;
  return Z_OK;
}

int inflate_reset(InflateStream* is, int kind, int windowBits) {
  z_streamp s = is->head.strm;
  count_stream(is);
  const int rc = kind == 0   ? real().inflateReset(&is->inner)
                 : kind == 1 ? real().inflateResetKeep(&is->inner)
                             : real().inflateReset2(&is->inner, windowBits);
  if (rc != Z_OK) return rc;
  s->total_in = s->total_out = 0;
  s->msg = Z_NULL;
  if (kind == 2) set_window_bits(is, windowBits);
  if (is->zlib_ok || is->gzip_ok) s->adler = is->inner.adler;
  reset_engine(is);
  is->header = Z_NULL;  // zlib's reset forgets inflateGetHeader's too
  Fallback why{};
  if (engine_serves(is->window_bits, why)) {
    is->mode = InflateMode::kEngine;
  } else {
    is->mode = InflateMode::kZlib;
    fallback(kFam, why);
  }
  return Z_OK;
}

int inflate_set_dictionary(InflateStream* is, const Bytef* dictionary, uInt length) {
  if (is->mode == InflateMode::kZlib)
    return forward(is,
                   [&](z_streamp z) { return real().inflateSetDictionary(z, dictionary, length); });
  if (is->mode == InflateMode::kFailed) return Z_STREAM_ERROR;
  const bool wrapped = is->zlib_ok || is->gzip_ok;
  if (wrapped && is->phase != Phase::kDict) return Z_STREAM_ERROR;
  if (is->phase == Phase::kDict && isal_adler32(1, dictionary, length) != is->check)
    return Z_DATA_ERROR;
  // Raw streams: ISA-L takes a dictionary only before the body starts.
  if (is->body_started || is->produced) return Z_STREAM_ERROR;
  if (length != 0 && isal_inflate_set_dict(&is->isal, const_cast<Bytef*>(dictionary), length) != 0)
    return Z_STREAM_ERROR;
  is->have_dict = true;
  is->replay_ok = false;  // zlib's stream would need the dictionary too
  update_window(is, dictionary, length);
  return Z_OK;
}

int inflate_get_dictionary(InflateStream* is, Bytef* dictionary, uInt* length) {
  if (is->mode != InflateMode::kEngine)
    return forward(is,
                   [&](z_streamp z) { return real().inflateGetDictionary(z, dictionary, length); });
  const ByteBuffer& w = is->window;
  const size_t n = std::min(w.len, kWindow);
  if (dictionary != Z_NULL && n != 0) std::memcpy(dictionary, w.data + w.len - n, n);
  if (length != Z_NULL) *length = static_cast<uInt>(n);
  return Z_OK;
}

int inflate_sync(InflateStream* is) {
  if (is->mode == InflateMode::kEngine) {
    // zlib's inflateSync resets the stream at the flush point it finds (no history, no header
    // expected), so a fresh zlib stream is the same thing from here on.
    fallback(kFam, Fallback::kStreamRequest);
    is->mode = InflateMode::kZlib;
    is->replay.free(is->alloc);
  }
  if (is->mode == InflateMode::kFailed) return Z_STREAM_ERROR;
  return forward(is, [&](z_streamp z) { return real().inflateSync(z); });
}

int inflate_sync_point(InflateStream* is) {
  if (is->mode != InflateMode::kEngine) return real().inflateSyncPoint(&is->inner);
  // zlib: in STORED mode with no bits held, i.e. a stored block's 3 header bits and their
  // padding were read and its LEN/NLEN not yet (what a sync flush without its 00 00 ff ff
  // leaves; rsync relies on this). ISA-L, short of the lengths, keeps exactly those 3..10
  // bits in read_in and nothing in tmp_in_buffer.
  const inflate_state& st = is->isal;
  if (is->phase != Phase::kBody) return 0;
  if (st.block_state != ISAL_BLOCK_HDR && st.block_state != ISAL_BLOCK_NEW_HDR) return 0;
  if (st.tmp_in_size != 0 || st.read_in_length < 3 || st.read_in_length > 10) return 0;
  return ((st.read_in >> 1) & 3) == 0 ? 1 : 0;
}

int inflate_copy(z_streamp dest, InflateStream* source) {
  if (dest == Z_NULL) return Z_STREAM_ERROR;
  std::memcpy(dest, source->head.strm, sizeof(z_stream));
  auto* is = static_cast<InflateStream*>(source->alloc.allocate(sizeof(InflateStream)));
  if (is == nullptr) {
    dest->state = Z_NULL;
    return Z_MEM_ERROR;
  }
  std::memcpy(static_cast<void*>(is), source, sizeof(InflateStream));
  is->head = StreamHead{is, kInflateMagic, dest};
  is->replay = ByteBuffer{};
  is->window = ByteBuffer{};
  if (!source->replay.copy_to(is->alloc, is->replay) ||
      !source->window.copy_to(is->alloc, is->window) ||
      real().inflateCopy(&is->inner, &source->inner) != Z_OK) {
    is->replay.free(is->alloc);
    is->window.free(is->alloc);
    is->alloc.release(is);
    dest->state = Z_NULL;
    return Z_MEM_ERROR;
  }
  dest->state = reinterpret_cast<internal_state*>(is);
  return Z_OK;
}

int inflate_prime(InflateStream* is, int bits, int value) {
  if (is->mode == InflateMode::kEngine && is->phase == Phase::kBody &&
      is->isal.block_state != ISAL_BLOCK_HDR) {
    // Bits go after those already held, as zlib's hold does.
    inflate_state& st = is->isal;
    is->replay_ok = false;  // zlib's stream has not seen them: no move to it from here
    if (bits == 0) return Z_OK;
    if (bits < 0) {
      st.read_in = 0;
      st.read_in_length = 0;
      return Z_OK;
    }
    if (bits > 16 || st.read_in_length + bits > 64) return Z_STREAM_ERROR;
    const uint64_t v = static_cast<uint64_t>(value) & ((uint64_t{1} << bits) - 1);
    st.read_in |= v << st.read_in_length;
    st.read_in_length += bits;
    return Z_OK;
  }
  if (is->mode == InflateMode::kEngine && !move_to_zlib(is, Fallback::kPrime))
    return Z_STREAM_ERROR;
  if (is->mode == InflateMode::kFailed) return Z_STREAM_ERROR;
  return forward(is, [&](z_streamp z) { return real().inflatePrime(z, bits, value); });
}

long inflate_mark(InflateStream* is) {
  if (is->mode == InflateMode::kFailed) return -65536L;
  if (is->mode == InflateMode::kZlib) return real().inflateMark(&is->inner);
  // zlib: -65536 between blocks; inside a stored block the bytes left to copy; inside a coded
  // block the bits of the code being decoded (ISA-L stops between symbols: 0).
  const inflate_state& st = is->isal;
  if (is->phase != Phase::kBody) return -65536L;
  // Output decoded but not yet handed out: to the caller the stream is still inside a block.
  if (st.tmp_out_processed < st.tmp_out_valid) return 0;
  if (st.block_state == ISAL_BLOCK_TYPE0) return st.type0_block_len;
  if (st.block_state == ISAL_BLOCK_CODED) return 0;
  return -65536L;
}

int inflate_get_header(InflateStream* is, gz_headerp head) {
  if (is->mode != InflateMode::kEngine) {
    return is->mode == InflateMode::kFailed ? Z_STREAM_ERROR
                                            : real().inflateGetHeader(&is->inner, head);
  }
  if (!is->gzip_ok) return Z_STREAM_ERROR;
  is->header = head;
  head->done = 0;
  return Z_OK;
}

int inflate_undermine(InflateStream* is, int subvert) {
  // Debian's zlib is built without INFLATE_ALLOW_INVALID_DISTANCE_TOOFAR_ARRR: it refuses.
  return real().inflateUndermine(&is->inner, subvert);
}

int inflate_validate(InflateStream* is, int check) {
  if (is->mode != InflateMode::kEngine) return real().inflateValidate(&is->inner, check);
  is->validate = check != 0 && (is->zlib_ok || is->gzip_ok);
  real().inflateValidate(&is->inner, check);
  return Z_OK;
}

unsigned long inflate_codes_used(InflateStream* is) {
  if (is->mode != InflateMode::kEngine) return real().inflateCodesUsed(&is->inner);
  // zlib counts the code-table entries its last dynamic block's tables took; ISA-L builds its
  // own tables, so the answer is zlib's bound for them (ENOUGH = 852 + 592) once the body
  // started, 0 before.
  return is->body_started ? 1444 : 0;
}

}  // namespace accz::zlib
