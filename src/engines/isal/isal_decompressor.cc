// ISA-L igzip raw inflate. The inflate_state (with its 64 KiB staging window) is allocated
// once per object.
#include <isa-l.h>

#include <algorithm>
#include <memory>

#include "engines/engine_util.h"
#include "engines/isal/isal_codec.h"

namespace accz {
namespace {

class IsalDecompressor final : public Decompressor {
 public:
  IsalDecompressor() : state_(std::make_unique<inflate_state>()) {
    isal_inflate_init(state_.get());
    configure();
  }

  CodecResult decompress(ByteSpan in, MutableByteSpan out) override {
    reset();
    CodecResult r = run(in, out);
    dirty_ = true;
    return finish_one_shot_decode(r, out.size());
  }

  CodecResult stream(ByteSpan in, MutableByteSpan out) override {
    if (dirty_) reset();
    return run(in, out);
  }

  Status set_dictionary(ByteSpan dict) override {
    if (dirty_) reset();
    if (dict.size() > ISAL_DEF_HIST_SIZE) dict = dict.last(ISAL_DEF_HIST_SIZE);
    int ret = isal_inflate_set_dict(state_.get(), const_cast<uint8_t*>(dict.data()),
                                    static_cast<uint32_t>(dict.size()));
    return ret == ISAL_DECOMP_OK ? Status::kOk : Status::kUnsupported;
  }

  void reset() override {
    isal_inflate_reset(state_.get());
    configure();
    finished_ = false;
    failed_ = false;
    dirty_ = false;
    handed_back_ = false;
  }

 private:
  void configure() {
    state_->crc_flag = ISAL_DEFLATE;  // raw: headers and checksums are accz/framing.h's job
    state_->hist_bits = 0;
  }

  CodecResult run(ByteSpan in, MutableByteSpan out) {
    if (finished_) return codec_result(Status::kOk, 0, 0, true);
    if (failed_) return codec_result(Status::kBadData);
    inflate_state* st = state_.get();
    size_t in_pos = 0, out_pos = 0;
    for (;;) {
      const size_t in_chunk = clamp_u32(in.size() - in_pos);
      const size_t out_chunk = clamp_u32(out.size() - out_pos);
      st->next_in = const_cast<uint8_t*>(in.data() + in_pos);
      st->avail_in = static_cast<uint32_t>(in_chunk);
      st->next_out = out.data() + out_pos;
      st->avail_out = static_cast<uint32_t>(out_chunk);
      int ret = isal_inflate(st);
      in_pos = static_cast<size_t>(st->next_in - in.data());
      out_pos = static_cast<size_t>(st->next_out - out.data());
      if (ret < 0 || ret == ISAL_NEED_DICT) {
        failed_ = true;
        return codec_result(Status::kBadData, in_pos, out_pos);
      }
      if (st->block_state == ISAL_BLOCK_INPUT_DONE || st->block_state == ISAL_BLOCK_FINISH) {
        // The end was decoded in this call: whole bytes still in the bit buffer lie past it.
        if (!handed_back_) in_pos -= give_back(in_pos);
        handed_back_ = true;
      }
      if (st->block_state == ISAL_BLOCK_FINISH) {
        finished_ = true;
        return codec_result(Status::kOk, in_pos, out_pos, true);
      }
      const bool more_in = st->avail_in == 0 && in_pos < in.size();
      const bool more_out = st->avail_out == 0 && out_pos < out.size();
      if (!more_in && !more_out) break;
    }
    if (!handed_back_ && !out.empty() && out_pos == out.size()) {
      // Stopped for want of room: the bit buffer may already hold the end of the stream and
      // bytes after it, and the end may only be decoded on a later call. Hand the whole bytes
      // back now, while they are still this call's, so none past the end is ever kept.
      in_pos -= give_back(in_pos);
    }
    // A full output may hide pending bytes: say so, and let the caller come back for them.
    const bool out_full = !out.empty() && out_pos == out.size();
    return codec_result(in_pos < in.size() || out_full ? Status::kOutputOverflow : Status::kOk,
                        in_pos, out_pos);
  }

  // Returns whole unused bytes from ISA-L's bit buffer to the caller's input (at most
  // `limit`, the bytes this call took), as if ISA-L had not loaded them. Not while ISA-L holds
  // input in its own header buffer: those bytes are not the caller's to take back.
  size_t give_back(size_t limit) {
    inflate_state* st = state_.get();
    if (st->tmp_in_size != 0) return 0;
    const size_t n = std::min<size_t>(st->read_in_length / 8, limit);
    st->read_in_length -= static_cast<int32_t>(8 * n);
    st->read_in =
        st->read_in_length > 0 ? st->read_in & ((uint64_t{1} << st->read_in_length) - 1) : 0;
    st->next_in -= n;
    st->avail_in += static_cast<uint32_t>(n);
    return n;
  }

  std::unique_ptr<inflate_state> state_;
  bool handed_back_ = false;  // the bytes past the end have been returned
  bool finished_ = false;
  bool failed_ = false;
  bool dirty_ = false;
};

}  // namespace

std::unique_ptr<Decompressor> make_isal_decompressor() {
  return std::make_unique<IsalDecompressor>();
}

}  // namespace accz
