#include "zlib/deflate_stream.h"

#include <libdeflate.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <new>

#include "zlib/config.h"
#include "zlib/engine_states.h"
#include "zlib/framing.h"
#include "zlib/host_alloc.h"
#include "zlib/oneshot.h"
#include "zlib/parallel_deflate.h"
#include "zlib/real_zlib.h"
#include "zlib/stats.h"
#include "zlib/stream_memory.h"

namespace accz::zlib {

enum class DeflateMode : uint8_t {
  kBuffer,  // taking input into `in`; nothing of the body emitted yet
  kDrain,   // Z_FINISH seen and the whole stream made: handing `out` out
  kZlib,    // moved: every call forwarded to `inner`, after `out` (the replay's output) drains
  kFailed,  // a move could not get memory: the stream can only be ended
};

class DeflateStream {
 public:
  StreamHead head;  // first: what owned_state() checks
  z_stream inner;   // the real zlib stream with the same parameters
  StreamAlloc alloc;
  int level;  // 0..9 (Z_DEFAULT_COMPRESSION stored as 6, as zlib does)
  int strategy;
  int window_bits;
  int mem_level;
  DeflateMode mode;
  int last_flush;        // zlib's s->last_flush: -2 before the first deflate(), -1 after a
                         // call that filled the output, else the previous call's flush
  bool started;          // deflate() has run once (zlib's status left INIT_STATE)
  bool finishing;        // Z_FINISH seen (zlib's FINISH_STATE)
  bool tuned;            // deflateTune since the last reset
  bool gzip_header_set;  // deflateSetHeader succeeded (zlib keeps it across resets)
  bool engine_output;    // this stream's body came from an engine (for the statistics)
  Engine body_engine;    // which one
  ByteBuffer in;         // kBuffer: every byte consumed so far
  ByteBuffer out;        // bytes made but not yet handed out: [out_pos, out.len)
  size_t out_pos;
  size_t handed_out;  // bytes of `out` handed to the caller since the last reset
  ByteBuffer tail;    // kDrain: the last 32 KiB of input, for deflateGetDictionary
};

namespace {

constexpr Family kFam = Family::kDeflate;
constexpr size_t kWindowSize = size_t{1} << MAX_WBITS;
char kStreamErrorMsg[] = "stream error";
char kBufferErrorMsg[] = "buffer error";

int rank(int flush) { return flush * 2 - (flush > 4 ? 9 : 0); }

// zlib's s->wrap: 0 raw, 1 zlib, 2 gzip.
int wrap_of(int window_bits) { return window_bits < 0 ? 0 : window_bits > 15 ? 2 : 1; }

size_t header_size(int wrap) {
  return wrap == 1 ? kZlibHeaderSize : wrap == 2 ? kGzipHeaderSize : 0;
}
size_t trailer_size(int wrap) { return wrap == 1 ? 4 : wrap == 2 ? 8 : 0; }

// zlib's configuration_table function for a level: stored, fast or slow.
int level_func(int level) { return level == 0 ? 0 : level <= 3 ? 1 : 2; }

bool engine_serves(int level, int strategy, int window_bits, bool gzip_header, Fallback& why) {
  if (level == Z_DEFAULT_COMPRESSION) level = 6;
  if (!config().deflate_stream) {
    why = Fallback::kEngineOff;
  } else if (level < 0 || level > 9) {
    why = Fallback::kLevelInvalid;
  } else if (level == 0) {
    why = Fallback::kLevel0;
  } else if (kLibdeflateLevel[level] == 0) {
    why = Fallback::kLevelNoGain;
  } else if (strategy != Z_DEFAULT_STRATEGY) {
    why = Fallback::kStrategy;
  } else if (window_bits != MAX_WBITS && window_bits != MAX_WBITS + 16 &&
             window_bits != -MAX_WBITS) {
    why = Fallback::kWindowBits;
  } else if (gzip_header) {
    why = Fallback::kGzipHeader;
  } else {
    return true;
  }
  return false;
}

size_t stream_cap() { return std::min<size_t>(config().stream_cap, UINT_MAX - 1); }

size_t queued(const DeflateStream* ds) { return ds->out.len - ds->out_pos; }

void drain(DeflateStream* ds) {
  z_streamp s = ds->head.strm;
  const size_t n = std::min<size_t>(queued(ds), s->avail_out);
  if (n == 0) return;
  std::memcpy(s->next_out, ds->out.data + ds->out_pos, n);
  s->next_out += n;
  s->avail_out -= static_cast<uInt>(n);
  s->total_out += n;
  ds->out_pos += n;
  ds->handed_out += n;
  if (ds->out_pos == ds->out.len) ds->out.len = ds->out_pos = 0;
}

// The caller's view and the inner stream's, kept equal around every forwarded call; the inner
// stream's total_out also counts what is still queued here.
void to_inner(DeflateStream* ds) {
  z_streamp s = ds->head.strm;
  z_stream& z = ds->inner;
  z.next_in = s->next_in;
  z.avail_in = s->avail_in;
  z.total_in = s->total_in;
  z.next_out = s->next_out;
  z.avail_out = s->avail_out;
  z.total_out = s->total_out + queued(ds);
  z.msg = s->msg;
  z.data_type = s->data_type;
  z.adler = s->adler;
}

void from_inner(DeflateStream* ds) {
  z_streamp s = ds->head.strm;
  const z_stream& z = ds->inner;
  s->next_in = z.next_in;
  s->avail_in = z.avail_in;
  s->total_in = z.total_in;
  s->next_out = z.next_out;
  s->avail_out = z.avail_out;
  s->total_out = z.total_out - queued(ds);
  s->msg = z.msg;
  s->data_type = z.data_type;
  s->adler = z.adler;
}

template <typename Call>
int forward(DeflateStream* ds, Call&& call) {
  to_inner(ds);
  const int rc = call(&ds->inner);
  from_inner(ds);
  return rc;
}

// Moves a kBuffer stream to its zlib stream: feeds it everything consumed so far (its header
// first, when deflate() already ran), queues its output minus the header bytes the caller
// already has, and forwards from then on. False (stream unusable) only when memory runs out.
bool move_to_zlib(DeflateStream* ds, Fallback why) {
  if (ds->mode == DeflateMode::kZlib) return true;
  if (ds->mode != DeflateMode::kBuffer) return false;
  fallback(kFam, why);
  if (ds->started) {
    const size_t emitted = ds->handed_out;  // the queue held only header bytes
    ds->out.len = ds->out_pos = 0;
    z_stream& z = ds->inner;
    z.next_in = ds->in.data;
    z.avail_in = static_cast<uInt>(ds->in.len);
    do {
      if (!ds->out.reserve_more(ds->alloc, 65536)) {
        ds->mode = DeflateMode::kFailed;
        return false;
      }
      z.next_out = ds->out.data + ds->out.len;
      z.avail_out = static_cast<uInt>(std::min<size_t>(ds->out.cap - ds->out.len, UINT_MAX));
      const int rc = real().deflate(&z, Z_NO_FLUSH);
      ds->out.len = static_cast<size_t>(z.next_out - ds->out.data);
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        ds->mode = DeflateMode::kFailed;
        return false;
      }
    } while (z.avail_in != 0 || z.avail_out == 0);
    if (ds->out.len < emitted) {
      ds->mode = DeflateMode::kFailed;
      return false;
    }
    ds->out_pos = emitted;
    if (ds->out_pos == ds->out.len) ds->out.len = ds->out_pos = 0;
  }
  ds->in.free(ds->alloc);
  ds->mode = DeflateMode::kZlib;
  return true;
}

int forward_deflate(DeflateStream* ds, int flush) {
  if (ds->mode == DeflateMode::kFailed) return Z_STREAM_ERROR;
  z_streamp s = ds->head.strm;
  if (queued(ds) != 0) {
    // zlib's own checks, then its pending output first: here that is the replay's output.
    if (flush > Z_BLOCK || flush < 0) return Z_STREAM_ERROR;
    if (s->next_out == Z_NULL || (s->avail_in != 0 && s->next_in == Z_NULL)) {
      s->msg = kStreamErrorMsg;
      return Z_STREAM_ERROR;
    }
    if (s->avail_out == 0) {
      s->msg = kBufferErrorMsg;
      return Z_BUF_ERROR;
    }
    drain(ds);
    if (queued(ds) != 0 || s->avail_out == 0) return Z_OK;
    const int rc = forward(ds, [&](z_streamp z) { return real().deflate(z, flush); });
    return rc == Z_BUF_ERROR ? Z_OK : rc;  // the drain was progress
  }
  return forward(ds, [&](z_streamp z) { return real().deflate(z, flush); });
}

// Marks n bytes at p consumed as zlib's read_buf does: running check value, counters.
void consume(DeflateStream* ds, size_t n) {
  z_streamp s = ds->head.strm;
  if (n == 0) return;
  const int wrap = wrap_of(ds->window_bits);
  if (wrap == 1) {
    s->adler = libdeflate_adler32(static_cast<uint32_t>(s->adler), s->next_in, n);
  } else if (wrap == 2) {
    s->adler = libdeflate_crc32(static_cast<uint32_t>(s->adler), s->next_in, n);
  }
  s->next_in += n;
  s->avail_in -= static_cast<uInt>(n);
  s->total_in += n;
}

// zlib's text/binary guess (its detect_data_type): binary if any block-listed control byte
// (0..6, 14..25, 28..31) occurs, else text if any of 9, 10, 13 or 32..255 does, else binary.
// zlib looks at the literals of its first block; the nearest thing whole-buffer compression
// has is the input that first block covers at least, its first lit_bufsize - 1 bytes.
int detect_data_type(const Bytef* p, size_t n) {
  constexpr uint32_t kBlockMask = 0xf3ffc07fu;
  bool text = false;
  for (size_t i = 0; i < n; ++i) {
    const unsigned b = p[i];
    if (b < 32) {
      if ((kBlockMask >> b) & 1u) return Z_BINARY;
      if (b == 9 || b == 10 || b == 13) text = true;
    } else {
      text = true;
    }
  }
  return text ? Z_TEXT : Z_BINARY;
}

void queue_header(DeflateStream* ds) {
  const int wrap = wrap_of(ds->window_bits);
  Bytef header[kGzipHeaderSize];
  if (wrap == 1) write_zlib_header(header, ds->level, ds->strategy);
  if (wrap == 2) write_gzip_header(header, ds->level, ds->strategy);
  // The queue is empty and a fresh buffer gets at least 64 KiB, so this cannot fail short of
  // memory; without memory the header is made by zlib instead.
  if (!ds->out.append(ds->alloc, header, header_size(wrap))) move_to_zlib(ds, Fallback::kNoMemory);
}

void write_trailer(DeflateStream* ds, Bytef* p) {
  z_streamp s = ds->head.strm;
  const int wrap = wrap_of(ds->window_bits);
  if (wrap == 1) write_be32(p, static_cast<uint32_t>(s->adler));
  if (wrap == 2) {
    write_le32(p, static_cast<uint32_t>(s->adler));
    write_le32(p + 4, static_cast<uint32_t>(s->total_in));
  }
}

// Z_FINISH on a kBuffer stream whose header is out: compress the whole input, frame it, hand
// it out. Output larger than 90% of the input is compared with zlib's (the inner stream, still
// untouched) and zlib's is used when smaller, so the result is never larger than zlib's where
// libdeflate's block choices lose (near-incompressible data) and never above deflateBound.
int finish(DeflateStream* ds) {
  z_streamp s = ds->head.strm;
  const size_t total = ds->in.len + s->avail_in;
  if (total < kMinEngineInput) {
    if (!move_to_zlib(ds, Fallback::kSmallInput)) return Z_STREAM_ERROR;
    return forward_deflate(ds, Z_FINISH);
  }
  if (ds->in.len != 0 && total > stream_cap()) {
    if (!move_to_zlib(ds, Fallback::kStreamCap)) return Z_STREAM_ERROR;
    return forward_deflate(ds, Z_FINISH);
  }
  libdeflate_compressor* c = thread_compressor(kLibdeflateLevel[ds->level]);
  if (c == nullptr) {
    if (!move_to_zlib(ds, Fallback::kNoMemory)) return Z_STREAM_ERROR;
    return forward_deflate(ds, Z_FINISH);
  }
  const unsigned chunks = parallel_chunks(total);
  // The input as one buffer: the caller's own when nothing was buffered before.
  const Bytef* src = s->next_in;
  if (ds->in.len != 0) {
    const size_t n = s->avail_in;
    if (!ds->in.append(ds->alloc, s->next_in, n)) {
      if (!move_to_zlib(ds, Fallback::kNoMemory)) return Z_STREAM_ERROR;
      return forward_deflate(ds, Z_FINISH);
    }
    consume(ds, n);
    src = ds->in.data;
  }
  if (looks_incompressible(src, total)) {
    if (!move_to_zlib(ds, Fallback::kIncompressible)) return Z_STREAM_ERROR;
    return forward_deflate(ds, Z_FINISH);
  }
  const int wrap = wrap_of(ds->window_bits);
  const size_t trailer = trailer_size(wrap);
  // The chunk threads compute the check value when none of the input was consumed yet.
  const Checksum check = ds->in.len != 0 ? Checksum::kNone
                         : wrap == 1     ? Checksum::kAdler32
                         : wrap == 2     ? Checksum::kCrc32
                                         : Checksum::kNone;

  // Straight into the caller's buffer when it looks large enough, else into the queue.
  const auto seed = static_cast<uint32_t>(s->adler);
  DeflateBody result;
  bool direct = false;
  Bytef* dst = s->next_out;
  if (s->avail_out >= trailer + total / 2 + 64) {
    result =
        deflate_body(ds->level, {src, total}, {s->next_out, s->avail_out - trailer}, check, seed);
    direct = result.size != 0;
  }
  if (!direct) {
    const size_t bound = std::max(libdeflate_deflate_compress_bound(c, total),
                                  parallel_deflate_bound(total, chunks)) +
                         trailer;
    if (!ds->out.reserve_more(ds->alloc, bound)) {
      // Nothing of the body is out: zlib can still make the whole stream.
      if (!move_to_zlib(ds, Fallback::kNoMemory)) return Z_STREAM_ERROR;
      return forward_deflate(ds, Z_FINISH);
    }
    dst = ds->out.data;
    result = deflate_body(ds->level, {src, total}, {dst, ds->out.cap - trailer}, check, seed);
    if (result.size == 0) {
      if (!move_to_zlib(ds, Fallback::kOutputFull)) return Z_STREAM_ERROR;
      return forward_deflate(ds, Z_FINISH);
    }
  }
  const size_t body = result.size;
  ds->body_engine = result.engine;
  // From here on the stream is finished on the engine path.
  if (ds->in.len == 0) {
    if (result.checked) {
      s->adler = result.check;
      s->next_in += total;
      s->avail_in -= static_cast<uInt>(total);
      s->total_in += total;
    } else {
      consume(ds, total);
    }
  }
  ds->finishing = true;
  ds->mode = DeflateMode::kDrain;
  ds->engine_output = true;
  const int data_type_before = s->data_type;
  if (s->data_type == Z_UNKNOWN) {
    const size_t first_block = (size_t{1} << (ds->mem_level + 6)) - 1;  // zlib's lit_bufsize - 1
    s->data_type = detect_data_type(src, std::min(total, first_block));
  }
  if (ds->tail.reserve_more(ds->alloc, kWindowSize)) {
    const size_t n = std::min(total, kWindowSize);
    std::memcpy(ds->tail.data, src + total - n, n);
    ds->tail.len = n;
  }

  size_t made = body + trailer;
  const size_t stream_size = header_size(wrap) + made;
  if (config().size_check_always || stream_size > total / 10 * 9) {
    // zlib wins only if its whole stream fits in stream_size - 1 bytes.
    auto* alt = static_cast<Bytef*>(ds->alloc.allocate(stream_size - 1));
    if (alt != nullptr) {
      z_stream& z = ds->inner;
      z.next_in = const_cast<Bytef*>(src);
      z.avail_in = static_cast<uInt>(total);
      z.next_out = alt;
      z.avail_out = static_cast<uInt>(stream_size - 1);
      if (real().deflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out >= header_size(wrap)) {
        made = z.total_out - header_size(wrap);
        std::memcpy(dst, alt + header_size(wrap), made);
        if (data_type_before == Z_UNKNOWN) s->data_type = z.data_type;
        ds->engine_output = false;
        fallback(kFam, Fallback::kZlibSmaller);
      }
      ds->alloc.release(alt);
    }
  }
  if (ds->engine_output) write_trailer(ds, dst + body);
  if (direct) {
    s->next_out += made;
    s->avail_out -= static_cast<uInt>(made);
    s->total_out += made;
  } else {
    ds->out.len = made;
    ds->out_pos = 0;
    drain(ds);
  }
  ds->in.free(ds->alloc);
  return queued(ds) != 0 ? Z_OK : Z_STREAM_END;
}

void count_stream(DeflateStream* ds) {
  z_streamp s = ds->head.strm;
  if (!ds->started && s->total_in == 0) return;
  count(kFam, ds->engine_output ? ds->body_engine : Engine::kZlib, s->total_in, s->total_out);
}

void release_buffers(DeflateStream* ds) {
  ds->in.free(ds->alloc);
  ds->out.free(ds->alloc);
  ds->tail.free(ds->alloc);
  ds->out_pos = 0;
}

}  // namespace

DeflateStream* deflate_stream(z_streamp strm) {
  return owned_state<DeflateStream>(strm, kDeflateMagic);
}

int deflate_init(z_streamp strm, int level, int method, int windowBits, int memLevel, int strategy,
                 const char* version, int stream_size) {
  auto zlib_init = [&] {
    return init_with_host_allocator(strm, [&] {
      return real().deflateInit2_(strm, level, method, windowBits, memLevel, strategy, version,
                                  stream_size);
    });
  };
  if (strm == Z_NULL) return zlib_init();
  Fallback why{};
  if (!engine_serves(level, strategy, windowBits, false, why)) {
    const int rc = zlib_init();
    if (rc == Z_OK) fallback(kFam, why);
    return rc;
  }
  StreamAlloc a{strm->zalloc != Z_NULL ? strm->zalloc : host_zalloc,
                strm->zfree != Z_NULL ? strm->zfree : host_zfree, strm->opaque};
  void* mem = a.allocate(sizeof(DeflateStream));
  if (mem == nullptr) {
    const int rc = zlib_init();
    if (rc == Z_OK) fallback(kFam, Fallback::kNoMemory);
    return rc;
  }
  auto* ds = new (mem) DeflateStream();
  ds->inner.zalloc = a.zalloc;
  ds->inner.zfree = a.zfree;
  ds->inner.opaque = a.opaque;
  if (real().deflateInit2_(&ds->inner, level, method, windowBits, memLevel, strategy, version,
                           stream_size) != Z_OK) {
    a.release(mem);
    return zlib_init();  // zlib's own error, with its own effects on strm
  }
  ds->head = StreamHead{ds, kDeflateMagic, strm};
  ds->alloc = a;
  ds->level = level == Z_DEFAULT_COMPRESSION ? 6 : level;
  ds->strategy = strategy;
  ds->window_bits = windowBits;
  ds->mem_level = memLevel;
  ds->mode = DeflateMode::kBuffer;
  ds->last_flush = -2;
  strm->zalloc = a.zalloc;
  strm->zfree = a.zfree;
  strm->state = reinterpret_cast<internal_state*>(ds);
  strm->msg = Z_NULL;
  strm->total_in = strm->total_out = 0;
  strm->data_type = ds->inner.data_type;
  strm->adler = ds->inner.adler;
  return Z_OK;
}

int deflate_call(DeflateStream* ds, int flush) {
  if (ds->mode == DeflateMode::kZlib || ds->mode == DeflateMode::kFailed)
    return forward_deflate(ds, flush);
  z_streamp s = ds->head.strm;
  if (flush > Z_BLOCK || flush < 0) return Z_STREAM_ERROR;
  if (s->next_out == Z_NULL || (s->avail_in != 0 && s->next_in == Z_NULL) ||
      (ds->finishing && flush != Z_FINISH)) {
    s->msg = kStreamErrorMsg;
    return Z_STREAM_ERROR;
  }
  if (s->avail_out == 0) {
    s->msg = kBufferErrorMsg;
    return Z_BUF_ERROR;
  }
  if (flush != Z_NO_FLUSH && flush != Z_FINISH) {
    // Only kBuffer gets here (finishing implies Z_FINISH).
    if (!move_to_zlib(ds, Fallback::kFlush)) return Z_STREAM_ERROR;
    return forward_deflate(ds, flush);
  }
  const int old_flush = ds->last_flush;
  ds->last_flush = flush;
  if (queued(ds) != 0) {
    drain(ds);
    if (s->avail_out == 0) {
      ds->last_flush = -1;
      return Z_OK;
    }
  } else if (s->avail_in == 0 && rank(flush) <= rank(old_flush) && flush != Z_FINISH) {
    s->msg = kBufferErrorMsg;
    return Z_BUF_ERROR;
  }
  if (ds->finishing && s->avail_in != 0) {
    s->msg = kBufferErrorMsg;
    return Z_BUF_ERROR;
  }
  if (!ds->started) {
    ds->started = true;
    queue_header(ds);
    if (ds->mode != DeflateMode::kBuffer) return forward_deflate(ds, flush);
    drain(ds);
    if (queued(ds) != 0) {
      ds->last_flush = -1;
      return Z_OK;
    }
  }
  if (ds->mode == DeflateMode::kDrain) return Z_STREAM_END;
  if (flush == Z_FINISH) return finish(ds);
  const size_t n = s->avail_in;
  if (n == 0) return Z_OK;
  if (ds->in.len + n > stream_cap()) {
    if (!move_to_zlib(ds, Fallback::kStreamCap)) return Z_STREAM_ERROR;
    return forward_deflate(ds, flush);
  }
  if (!ds->in.append(ds->alloc, s->next_in, n)) {
    if (!move_to_zlib(ds, Fallback::kNoMemory)) return Z_STREAM_ERROR;
    return forward_deflate(ds, flush);
  }
  consume(ds, n);
  return Z_OK;
}

int deflate_end(DeflateStream* ds) {
  z_streamp s = ds->head.strm;
  count_stream(ds);
  const int zlib_rc = real().deflateEnd(&ds->inner);
  int rc = zlib_rc;
  if (ds->mode == DeflateMode::kBuffer || ds->mode == DeflateMode::kDrain)
    rc = ds->started && !ds->finishing ? Z_DATA_ERROR : Z_OK;
  release_buffers(ds);
  const StreamAlloc a = ds->alloc;
  ds->head.self = nullptr;
  a.release(ds);
  s->state = Z_NULL;
  return rc;
}

int deflate_reset(DeflateStream* ds, bool keep) {
  z_streamp s = ds->head.strm;
  count_stream(ds);
  const int rc = keep ? real().deflateResetKeep(&ds->inner) : real().deflateReset(&ds->inner);
  if (rc != Z_OK) return rc;
  s->total_in = s->total_out = 0;
  s->msg = ds->inner.msg;
  s->data_type = ds->inner.data_type;
  s->adler = ds->inner.adler;
  ds->in.len = 0;
  ds->out.len = ds->out_pos = ds->handed_out = 0;
  ds->tail.len = 0;
  ds->started = ds->finishing = ds->tuned = ds->engine_output = false;
  ds->last_flush = -2;
  Fallback why{};
  if (engine_serves(ds->level, ds->strategy, ds->window_bits, ds->gzip_header_set, why)) {
    ds->mode = DeflateMode::kBuffer;
  } else {
    ds->mode = DeflateMode::kZlib;
    fallback(kFam, why);
  }
  return Z_OK;
}

int deflate_copy(z_streamp dest, DeflateStream* source) {
  if (dest == Z_NULL) return Z_STREAM_ERROR;
  std::memcpy(dest, source->head.strm, sizeof(z_stream));
  auto* ds = static_cast<DeflateStream*>(source->alloc.allocate(sizeof(DeflateStream)));
  if (ds == nullptr) {
    dest->state = Z_NULL;
    return Z_MEM_ERROR;
  }
  std::memcpy(static_cast<void*>(ds), source, sizeof(DeflateStream));
  ds->head = StreamHead{ds, kDeflateMagic, dest};
  ds->in = ByteBuffer{};
  ds->out = ByteBuffer{};
  ds->tail = ByteBuffer{};
  const bool copied = source->in.copy_to(ds->alloc, ds->in) &&
                      source->out.copy_to(ds->alloc, ds->out) &&
                      source->tail.copy_to(ds->alloc, ds->tail) &&
                      real().deflateCopy(&ds->inner, &source->inner) == Z_OK;
  if (!copied) {
    release_buffers(ds);
    ds->alloc.release(ds);
    dest->state = Z_NULL;
    return Z_MEM_ERROR;
  }
  dest->state = reinterpret_cast<internal_state*>(ds);
  return Z_OK;
}

int deflate_params(DeflateStream* ds, int level, int strategy) {
  if (ds->mode == DeflateMode::kFailed) return Z_STREAM_ERROR;
  if (level == Z_DEFAULT_COMPRESSION) level = 6;
  if (level < 0 || level > 9 || strategy < 0 || strategy > Z_FIXED) return Z_STREAM_ERROR;
  z_streamp s = ds->head.strm;
  if (ds->mode == DeflateMode::kDrain) {
    // zlib would flush with Z_BLOCK, which a finished stream refuses.
    if (strategy != ds->strategy || level_func(level) != level_func(ds->level))
      return Z_STREAM_ERROR;
    real().deflateParams(&ds->inner, level, strategy);
    ds->level = level;
    return Z_OK;
  }
  if (ds->mode == DeflateMode::kBuffer) {
    if (level == ds->level && strategy == ds->strategy) return Z_OK;
    if (!ds->started) {
      const int rc = real().deflateParams(&ds->inner, level, strategy);  // still untouched
      if (rc != Z_OK) return rc;
      ds->level = level;
      ds->strategy = strategy;
      Fallback why{};
      if (!engine_serves(level, strategy, ds->window_bits, ds->gzip_header_set, why)) {
        fallback(kFam, Fallback::kParams);
        ds->mode = DeflateMode::kZlib;
      }
      return Z_OK;
    }
    if (!move_to_zlib(ds, Fallback::kParams)) return Z_STREAM_ERROR;
  }
  if (queued(ds) != 0) {
    if (s->next_out == Z_NULL) return Z_BUF_ERROR;
    drain(ds);
    if (queued(ds) != 0) return Z_BUF_ERROR;
  }
  const int rc = forward(ds, [&](z_streamp z) { return real().deflateParams(z, level, strategy); });
  if (rc == Z_OK) {
    ds->level = level;
    ds->strategy = strategy;
  }
  return rc;
}

int deflate_set_dictionary(DeflateStream* ds, const Bytef* dictionary, uInt length) {
  if (dictionary == Z_NULL || ds->mode == DeflateMode::kFailed) return Z_STREAM_ERROR;
  const int wrap = wrap_of(ds->window_bits);
  if (ds->mode == DeflateMode::kDrain) return wrap == 0 ? Z_OK : Z_STREAM_ERROR;
  if (ds->mode == DeflateMode::kBuffer) {
    if (wrap == 2 || (wrap == 1 && ds->started)) return Z_STREAM_ERROR;  // zlib refuses too
    if (!move_to_zlib(ds, Fallback::kDictionary)) return Z_STREAM_ERROR;
  }
  return forward(ds,
                 [&](z_streamp z) { return real().deflateSetDictionary(z, dictionary, length); });
}

int deflate_get_dictionary(DeflateStream* ds, Bytef* dictionary, uInt* length) {
  if (ds->mode == DeflateMode::kZlib || ds->mode == DeflateMode::kFailed)
    return real().deflateGetDictionary(&ds->inner, dictionary, length);
  const ByteBuffer& window = ds->mode == DeflateMode::kBuffer ? ds->in : ds->tail;
  const size_t n = std::min(window.len, kWindowSize);
  if (dictionary != Z_NULL && n != 0) std::memcpy(dictionary, window.data + window.len - n, n);
  if (length != Z_NULL) *length = static_cast<uInt>(n);
  return Z_OK;
}

int deflate_tune(DeflateStream* ds, int good_length, int max_lazy, int nice_length, int max_chain) {
  if (ds->mode == DeflateMode::kBuffer && !move_to_zlib(ds, Fallback::kTune)) return Z_STREAM_ERROR;
  const int rc = real().deflateTune(&ds->inner, good_length, max_lazy, nice_length, max_chain);
  if (rc == Z_OK) ds->tuned = true;
  return rc;
}

uLong deflate_bound(DeflateStream* ds, uLong source_len) {
  return real().deflateBound(&ds->inner, source_len);
}

int deflate_pending(DeflateStream* ds, unsigned* pending, int* bits) {
  if (ds->mode == DeflateMode::kZlib || ds->mode == DeflateMode::kFailed) {
    const int rc = real().deflatePending(&ds->inner, pending, bits);
    if (rc == Z_OK && pending != Z_NULL) *pending += static_cast<unsigned>(queued(ds));
    return rc;
  }
  if (pending != Z_NULL) *pending = static_cast<unsigned>(queued(ds));
  if (bits != Z_NULL) *bits = 0;
  return Z_OK;
}

int deflate_prime(DeflateStream* ds, int bits, int value) {
  if (ds->mode == DeflateMode::kDrain) return Z_BUF_ERROR;  // no room after the trailer
  if (ds->mode == DeflateMode::kBuffer && !move_to_zlib(ds, Fallback::kPrime))
    return Z_STREAM_ERROR;
  return forward(ds, [&](z_streamp z) { return real().deflatePrime(z, bits, value); });
}

int deflate_set_header(DeflateStream* ds, gz_headerp head) {
  if (wrap_of(ds->window_bits) != 2) return Z_STREAM_ERROR;
  if (ds->mode == DeflateMode::kBuffer && !move_to_zlib(ds, Fallback::kGzipHeader))
    return Z_STREAM_ERROR;
  const int rc = real().deflateSetHeader(&ds->inner, head);
  if (rc == Z_OK) ds->gzip_header_set = true;
  return rc;
}

}  // namespace accz::zlib
