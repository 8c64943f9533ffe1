// gzip member headers and trailers (RFC 1952): writing them, and parsing them a byte at a
// time if need be.
#include <algorithm>
#include <cstring>

#include "accz/framing.h"
#include "core/framing_format.h"

namespace accz {
namespace {

constexpr size_t kFixedSize = 10;
constexpr size_t kMaxExtra = 0xffff;
// Name and comment are kept up to this size; longer ones are parsed through but cut, so a
// hostile header cannot make the parser hold unbounded memory.
constexpr size_t kMaxText = 64 * 1024;

bool has_extra(const GzipHeader& h) { return h.has_extra || !h.extra.empty(); }
bool has_name(const GzipHeader& h) { return h.has_name || !h.name.empty(); }
bool has_comment(const GzipHeader& h) { return h.has_comment || !h.comment.empty(); }

// Parser stages, in the order the fields appear.
enum Stage : uint32_t { kFixed, kExtraLen, kExtra, kName, kComment, kHcrc, kEnd };

}  // namespace

size_t gzip_header_size(const GzipHeader& h) {
  size_t n = kFixedSize;
  if (has_extra(h)) n += 2 + std::min(h.extra.size(), kMaxExtra);
  if (has_name(h)) n += h.name.size() + 1;
  if (has_comment(h)) n += h.comment.size() + 1;
  if (h.hcrc) n += 2;
  return n;
}

void write_gzip_header(const GzipHeader& h, uint8_t* out) {
  uint8_t* p = out;
  uint8_t flags = 0;
  if (h.text) flags |= kGzipText;
  if (h.hcrc) flags |= kGzipHcrc;
  if (has_extra(h)) flags |= kGzipExtra;
  if (has_name(h)) flags |= kGzipName;
  if (has_comment(h)) flags |= kGzipComment;
  *p++ = 0x1f;
  *p++ = 0x8b;
  *p++ = 8;  // deflate
  *p++ = flags;
  put_le32(p, h.mtime);
  p += 4;
  *p++ = h.xfl;
  *p++ = h.os;
  if (has_extra(h)) {
    const size_t n = std::min(h.extra.size(), kMaxExtra);
    *p++ = static_cast<uint8_t>(n);
    *p++ = static_cast<uint8_t>(n >> 8);
    if (n) std::memcpy(p, h.extra.data(), n);
    p += n;
  }
  // A NUL inside the name would end it early for every reader; the field is what precedes it.
  if (has_name(h)) {
    std::memcpy(p, h.name.c_str(), h.name.size() + 1);
    p += h.name.size() + 1;
  }
  if (has_comment(h)) {
    std::memcpy(p, h.comment.c_str(), h.comment.size() + 1);
    p += h.comment.size() + 1;
  }
  if (h.hcrc) {
    const uint32_t crc = crc32(0, ByteSpan(out, static_cast<size_t>(p - out)));
    *p++ = static_cast<uint8_t>(crc);
    *p++ = static_cast<uint8_t>(crc >> 8);
  }
}

std::vector<uint8_t> gzip_header_bytes(const GzipHeader& h) {
  std::vector<uint8_t> v(gzip_header_size(h));
  write_gzip_header(h, v.data());
  return v;
}

std::array<uint8_t, 8> gzip_trailer_bytes(uint32_t crc, uint64_t size) {
  std::array<uint8_t, 8> t;
  put_le32(t.data(), crc);
  put_le32(t.data() + 4, static_cast<uint32_t>(size));
  return t;
}

void GzipHeaderParser::reset() {
  state_ = State::kNeedMore;
  header_ = GzipHeader{};
  error_ = nullptr;
  stage_ = kFixed;
  need_ = 0;
  crc_ = 0;
  flags_ = 0;
}

size_t GzipHeaderParser::feed(ByteSpan in) {
  size_t pos = 0;
  // Moves to the first optional field present after `from`, or to the end.
  auto advance = [this](uint32_t from) {
    static constexpr uint8_t kFlagOf[] = {0, kGzipExtra, 0, kGzipName, kGzipComment, kGzipHcrc};
    uint32_t s = from + 1;
    while (s < kEnd && (s == kExtra || !(flags_ & kFlagOf[s]))) ++s;
    stage_ = s;
    need_ = 0;
    if (s == kEnd) state_ = State::kDone;
  };
  auto fail = [this](const char* why) {
    state_ = State::kBad;
    error_ = why;
  };

  while (state_ == State::kNeedMore && pos < in.size()) {
    const uint32_t stage = stage_;
    const size_t start = pos;
    switch (stage) {
      case kFixed: {
        // Byte by byte, so a bad magic is refused as soon as it is seen.
        const uint8_t b = in[pos++];
        fixed_[need_++] = b;
        if ((need_ == 1 && b != 0x1f) || (need_ == 2 && b != 0x8b)) {
          fail("invalid gzip header");
        } else if (need_ == 3 && b != 8) {
          fail("unknown compression method");
        } else if (need_ == 4 && (b & kGzipReserved)) {
          fail("unknown header flags set");
        } else if (need_ == kFixedSize) {
          flags_ = fixed_[3];
          header_.text = flags_ & kGzipText;
          header_.hcrc = flags_ & kGzipHcrc;
          header_.has_extra = flags_ & kGzipExtra;
          header_.has_name = flags_ & kGzipName;
          header_.has_comment = flags_ & kGzipComment;
          header_.mtime = get_le32(&fixed_[4]);
          header_.xfl = fixed_[8];
          header_.os = fixed_[9];
          advance(kFixed);
        }
        break;
      }
      case kExtraLen:
        fixed_[need_++] = in[pos++];
        if (need_ == 2) {
          need_ = uint32_t(fixed_[0]) | uint32_t(fixed_[1]) << 8;
          stage_ = kExtra;
          header_.extra.reserve(need_);
          if (need_ == 0) advance(kExtra);
        }
        break;
      case kExtra: {
        const size_t n = std::min<size_t>(need_, in.size() - pos);
        header_.extra.insert(header_.extra.end(), in.begin() + pos, in.begin() + pos + n);
        pos += n;
        need_ -= static_cast<uint32_t>(n);
        if (need_ == 0) advance(kExtra);
        break;
      }
      case kName:
      case kComment: {
        std::string& field = stage == kName ? header_.name : header_.comment;
        const uint8_t* begin = in.data() + pos;
        const uint8_t* nul = static_cast<const uint8_t*>(std::memchr(begin, 0, in.size() - pos));
        const size_t len = nul ? static_cast<size_t>(nul - begin) : in.size() - pos;
        const size_t keep = std::min(len, kMaxText - std::min(kMaxText, field.size()));
        field.append(reinterpret_cast<const char*>(begin), keep);
        pos += len;
        if (nul) {
          ++pos;
          advance(stage);
        }
        break;
      }
      case kHcrc:
        fixed_[need_++] = in[pos++];
        if (need_ == 2) {
          const uint32_t want = uint32_t(fixed_[0]) | uint32_t(fixed_[1]) << 8;
          if (want != (crc_ & 0xffff)) {
            fail("header crc mismatch");
          } else {
            advance(kHcrc);
          }
        }
        break;
      default:
        state_ = State::kDone;
        break;
    }
    if (stage < kHcrc) crc_ = crc32(crc_, in.subspan(start, pos - start));
  }
  return pos;
}

}  // namespace accz
