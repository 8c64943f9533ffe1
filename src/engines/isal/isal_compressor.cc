// ISA-L igzip compression. The isal_zstream (about 100 KiB with its window) and the level
// buffer are allocated once per object; compress() and stream() never allocate.
#include <isa-l.h>

#include <memory>

#include "engines/engine_util.h"
#include "engines/isal/isal_codec.h"

namespace accz {
namespace {

size_t level_buffer_size(int level) {
  switch (level) {
    case 1:
      return ISAL_DEF_LVL1_DEFAULT;
    case 2:
      return ISAL_DEF_LVL2_DEFAULT;
    case 3:
      return ISAL_DEF_LVL3_DEFAULT;
    default:
      return ISAL_DEF_LVL0_DEFAULT;
  }
}

uint16_t isal_flush(Flush f) {
  switch (f) {
    case Flush::kSync:
      return SYNC_FLUSH;
    case Flush::kFull:
      return FULL_FLUSH;
    default:  // kFinish is end_of_stream with NO_FLUSH in ISA-L's terms
      return NO_FLUSH;
  }
}

class IsalCompressor final : public Compressor {
 public:
  explicit IsalCompressor(int level)
      : level_(level),
        stream_(std::make_unique<isal_zstream>()),
        level_buf_size_(level_buffer_size(level)),
        level_buf_(level_buf_size_ ? new uint8_t[level_buf_size_] : nullptr) {
    isal_deflate_init(stream_.get());
    configure();
  }

  CodecResult compress(ByteSpan in, MutableByteSpan out) override {
    // Stateless deflate counts in 32 bits; anything larger goes through the stream path.
    if (in.size() > UINT32_MAX) {
      reset();
      CodecResult r = stream(in, out, Flush::kFinish);
      dirty_ = true;
      return r;
    }
    isal_zstream* s = stream_.get();
    isal_deflate_stateless_init(s);
    configure();
    s->next_in = const_cast<uint8_t*>(in.data());
    s->avail_in = static_cast<uint32_t>(in.size());
    s->next_out = out.data();
    s->avail_out = static_cast<uint32_t>(clamp_u32(out.size()));
    s->end_of_stream = 1;
    s->flush = NO_FLUSH;
    int ret = isal_deflate_stateless(s);
    size_t produced = static_cast<size_t>(s->next_out - out.data());
    dirty_ = true;
    if (ret == STATELESS_OVERFLOW) return codec_result(Status::kOutputOverflow, 0, produced);
    if (ret != COMP_OK) return codec_result(Status::kDeviceError);
    return codec_result(Status::kOk, in.size(), produced, true);
  }

  CodecResult stream(ByteSpan in, MutableByteSpan out, Flush flush) override {
    if (dirty_) reset();
    if (finished_) {
      return in.empty() ? codec_result(Status::kOk, 0, 0, true)
                        : codec_result(Status::kUnsupported);  // the stream ended: reset()
    }
    isal_zstream* s = stream_.get();
    size_t in_pos = 0, out_pos = 0;
    for (;;) {
      const size_t in_chunk = clamp_u32(in.size() - in_pos);
      const size_t out_chunk = clamp_u32(out.size() - out_pos);
      const bool last_piece = in_pos + in_chunk == in.size();
      s->next_in = const_cast<uint8_t*>(in.data() + in_pos);
      s->avail_in = static_cast<uint32_t>(in_chunk);
      s->next_out = out.data() + out_pos;
      s->avail_out = static_cast<uint32_t>(out_chunk);
      s->flush = last_piece ? isal_flush(flush) : NO_FLUSH;
      s->end_of_stream = (last_piece && flush == Flush::kFinish) ? 1 : 0;
      int ret = isal_deflate(s);
      in_pos += in_chunk - s->avail_in;
      out_pos += out_chunk - s->avail_out;
      if (ret != COMP_OK) return codec_result(Status::kDeviceError, in_pos, out_pos);
      if (s->internal_state.state == ZSTATE_END) {
        finished_ = true;
        return codec_result(Status::kOk, in_pos, out_pos, true);
      }
      // Go round again only when a 32-bit piece boundary, not the caller's span, stopped it.
      const bool more_in = s->avail_in == 0 && in_pos < in.size();
      const bool more_out = s->avail_out == 0 && out_pos < out.size();
      if (!more_in && !more_out) break;
    }
    bool flush_done = true;
    if (flush == Flush::kFinish) {
      flush_done = false;
    } else if (flush != Flush::kNone) {
      // ISA-L's documented test: space left over, or back at a block boundary.
      flush_done = s->avail_out > 0 || s->internal_state.state == ZSTATE_NEW_HDR;
    }
    return codec_result(stream_status(in.size() - in_pos, flush_done), in_pos, out_pos);
  }

  Status set_dictionary(ByteSpan dict) override {
    if (dirty_) reset();
    if (dict.size() > ISAL_DEF_HIST_SIZE) dict = dict.last(ISAL_DEF_HIST_SIZE);
    int ret = isal_deflate_set_dict(stream_.get(), const_cast<uint8_t*>(dict.data()),
                                    static_cast<uint32_t>(dict.size()));
    return ret == COMP_OK ? Status::kOk : Status::kUnsupported;
  }

  void reset() override {
    isal_deflate_reset(stream_.get());
    configure();
    finished_ = false;
    dirty_ = false;
  }

  size_t bound(size_t in_len) const override {
    // Stateless igzip falls back to stored blocks (5 bytes per 64 KiB - 1) when compression
    // does not pay; the slack covers the final empty block and bit padding.
    return in_len + 5 * (in_len / 65535 + 1) + 16;
  }

 private:
  void configure() {
    isal_zstream* s = stream_.get();
    s->level = static_cast<uint32_t>(level_);
    s->level_buf = level_buf_.get();
    s->level_buf_size = static_cast<uint32_t>(level_buf_size_);
    s->gzip_flag = IGZIP_DEFLATE;  // framing is ours (accz/framing.h)
    s->hist_bits = 0;              // full 32 KiB window
    s->flush = NO_FLUSH;
    s->end_of_stream = 0;
  }

  int level_;
  std::unique_ptr<isal_zstream> stream_;
  size_t level_buf_size_;
  std::unique_ptr<uint8_t[]> level_buf_;
  bool finished_ = false;
  bool dirty_ = false;  // a one-shot call used the state: reset before streaming
};

}  // namespace

std::unique_ptr<Compressor> make_isal_compressor(int level) {
  return std::make_unique<IsalCompressor>(level);
}

}  // namespace accz
