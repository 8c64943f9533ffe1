#include "nbd/protocol.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace accz::nbd {

uint32_t to_wire_error(int err) {
  switch (err) {
    case 0:
      return 0;
    case EPERM:
    case EROFS:
    case EACCES:
      return kEperm;
    case EIO:
      return kEio;
    case ENOMEM:
      return kEnomem;
    case EINVAL:
      return kEinval;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return kEnospc;
    case EOVERFLOW:
      return kEoverflow;
    case ENOTSUP:
      return kEnotsup;
    case ESHUTDOWN:
      return kEshutdown;
    default:
      return kEio;
  }
}

void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  put_u16(out, static_cast<uint16_t>(v >> 16));
  put_u16(out, static_cast<uint16_t>(v));
}
void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  put_u32(out, static_cast<uint32_t>(v >> 32));
  put_u32(out, static_cast<uint32_t>(v));
}
void put_bytes(std::vector<uint8_t>& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}
uint16_t get_u16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t get_u32(const uint8_t* p) { return (uint32_t{get_u16(p)} << 16) | get_u16(p + 2); }
uint64_t get_u64(const uint8_t* p) { return (uint64_t{get_u32(p)} << 32) | get_u32(p + 4); }
void store_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void store_u32(uint8_t* p, uint32_t v) {
  store_u16(p, static_cast<uint16_t>(v >> 16));
  store_u16(p + 2, static_cast<uint16_t>(v));
}
void store_u64(uint8_t* p, uint64_t v) {
  store_u32(p, static_cast<uint32_t>(v >> 32));
  store_u32(p + 4, static_cast<uint32_t>(v));
}

namespace {

std::string_view as_text(ByteSpan b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Reads fields front to back; any read past the end latches failure.
class Cursor {
 public:
  explicit Cursor(ByteSpan b) : b_(b) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == b_.size(); }
  size_t remaining() const { return b_.size() - pos_; }
  uint16_t u16() { return take(2) ? get_u16(b_.data() + pos_ - 2) : 0; }
  uint32_t u32() { return take(4) ? get_u32(b_.data() + pos_ - 4) : 0; }
  // A protocol string: at most kMaxStringLength bytes, no NUL.
  std::string str(uint32_t n) {
    if (n > kMaxStringLength || !take(n)) {
      ok_ = false;
      return {};
    }
    std::string_view s = as_text(b_.subspan(pos_ - n, n));
    if (s.find('\0') != std::string_view::npos) ok_ = false;
    return std::string(s);
  }

 private:
  bool take(size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }
  ByteSpan b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::array<uint8_t, kHandshakeSize> encode_handshake(uint16_t flags) {
  std::array<uint8_t, kHandshakeSize> out{};
  store_u64(out.data(), kNbdMagic);
  store_u64(out.data() + 8, kOptionMagic);
  store_u16(out.data() + 16, flags);
  return out;
}

std::optional<OptionHeader> decode_option_header(ByteSpan bytes) {
  if (bytes.size() < kOptionHeaderSize || get_u64(bytes.data()) != kOptionMagic) {
    return std::nullopt;
  }
  return OptionHeader{get_u32(bytes.data() + 8), get_u32(bytes.data() + 12)};
}

std::vector<uint8_t> encode_option(uint32_t option, ByteSpan payload) {
  std::vector<uint8_t> out;
  out.reserve(kOptionHeaderSize + payload.size());
  put_u64(out, kOptionMagic);
  put_u32(out, option);
  put_u32(out, static_cast<uint32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<uint8_t> encode_option_reply(uint32_t option, uint32_t type, ByteSpan payload) {
  std::vector<uint8_t> out;
  out.reserve(kOptionReplyHeaderSize + payload.size());
  put_u64(out, kOptionReplyMagic);
  put_u32(out, option);
  put_u32(out, type);
  put_u32(out, static_cast<uint32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<uint8_t> encode_option_reply(uint32_t option, uint32_t type, std::string_view text) {
  text = text.substr(0, kMaxStringLength);
  return encode_option_reply(option, type,
                             ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::optional<OptionReplyHeader> decode_option_reply_header(ByteSpan bytes) {
  if (bytes.size() < kOptionReplyHeaderSize || get_u64(bytes.data()) != kOptionReplyMagic) {
    return std::nullopt;
  }
  return OptionReplyHeader{get_u32(bytes.data() + 8), get_u32(bytes.data() + 12),
                           get_u32(bytes.data() + 16)};
}

std::vector<uint8_t> encode_export_name_reply(uint64_t size, uint16_t flags, bool no_zeroes) {
  std::vector<uint8_t> out;
  put_u64(out, size);
  put_u16(out, flags);
  if (!no_zeroes) out.resize(out.size() + 124, 0);
  return out;
}

std::vector<uint8_t> encode_info_export(uint64_t size, uint16_t flags) {
  std::vector<uint8_t> out;
  put_u16(out, kInfoExport);
  put_u64(out, size);
  put_u16(out, flags);
  return out;
}

std::vector<uint8_t> encode_info_string(uint16_t type, std::string_view s) {
  std::vector<uint8_t> out;
  put_u16(out, type);
  put_bytes(out, s.substr(0, kMaxStringLength));
  return out;
}

std::vector<uint8_t> encode_info_block_size(uint32_t minimum, uint32_t preferred,
                                            uint32_t maximum) {
  std::vector<uint8_t> out;
  put_u16(out, kInfoBlockSize);
  put_u32(out, minimum);
  put_u32(out, preferred);
  put_u32(out, maximum);
  return out;
}

std::vector<uint8_t> encode_rep_server(std::string_view name) {
  std::vector<uint8_t> out;
  put_u32(out, static_cast<uint32_t>(name.size()));
  put_bytes(out, name);
  return out;
}

std::vector<uint8_t> encode_rep_meta_context(uint32_t id, std::string_view name) {
  std::vector<uint8_t> out;
  put_u32(out, id);
  put_bytes(out, name);
  return out;
}

std::optional<InfoRequest> decode_info_request(ByteSpan payload) {
  Cursor c(payload);
  InfoRequest r;
  r.name = c.str(c.u32());
  uint16_t n = c.u16();
  if (!c.ok() || c.remaining() != size_t{n} * 2) return std::nullopt;
  r.infos.reserve(n);
  for (uint16_t i = 0; i < n; ++i) r.infos.push_back(c.u16());
  return r;
}

std::vector<uint8_t> encode_info_request(const InfoRequest& r) {
  std::vector<uint8_t> out;
  put_u32(out, static_cast<uint32_t>(r.name.size()));
  put_bytes(out, r.name);
  put_u16(out, static_cast<uint16_t>(r.infos.size()));
  for (uint16_t i : r.infos) put_u16(out, i);
  return out;
}

std::optional<MetaContextRequest> decode_meta_context_request(ByteSpan payload) {
  Cursor c(payload);
  MetaContextRequest r;
  r.export_name = c.str(c.u32());
  uint32_t n = c.u32();
  // Each query takes at least its 4-byte length: a count larger than that is a lie, and
  // checking it first keeps a hostile count from reserving memory.
  if (!c.ok() || n > c.remaining() / 4) return std::nullopt;
  for (uint32_t i = 0; i < n && c.ok(); ++i) r.queries.push_back(c.str(c.u32()));
  if (!c.ok() || !c.at_end()) return std::nullopt;
  return r;
}

std::vector<uint8_t> encode_meta_context_request(const MetaContextRequest& r) {
  std::vector<uint8_t> out;
  put_u32(out, static_cast<uint32_t>(r.export_name.size()));
  put_bytes(out, r.export_name);
  put_u32(out, static_cast<uint32_t>(r.queries.size()));
  for (const std::string& q : r.queries) {
    put_u32(out, static_cast<uint32_t>(q.size()));
    put_bytes(out, q);
  }
  return out;
}

std::optional<Request> decode_request(ByteSpan bytes) {
  if (bytes.size() < kRequestSize || get_u32(bytes.data()) != kRequestMagic) return std::nullopt;
  const uint8_t* p = bytes.data();
  return Request{get_u16(p + 4), get_u16(p + 6), get_u64(p + 8), get_u64(p + 16), get_u32(p + 24)};
}

std::array<uint8_t, kRequestSize> encode_request(const Request& r) {
  std::array<uint8_t, kRequestSize> out{};
  uint8_t* p = out.data();
  store_u32(p, kRequestMagic);
  store_u16(p + 4, r.flags);
  store_u16(p + 6, r.type);
  store_u64(p + 8, r.handle);
  store_u64(p + 16, r.offset);
  store_u32(p + 24, r.length);
  return out;
}

std::array<uint8_t, kSimpleReplySize> encode_simple_reply(uint32_t error, uint64_t handle) {
  std::array<uint8_t, kSimpleReplySize> out{};
  store_u32(out.data(), kSimpleReplyMagic);
  store_u32(out.data() + 4, error);
  store_u64(out.data() + 8, handle);
  return out;
}

std::optional<SimpleReply> decode_simple_reply(ByteSpan bytes) {
  if (bytes.size() < kSimpleReplySize || get_u32(bytes.data()) != kSimpleReplyMagic) {
    return std::nullopt;
  }
  return SimpleReply{get_u32(bytes.data() + 4), get_u64(bytes.data() + 8)};
}

std::array<uint8_t, kStructuredHeaderSize> encode_structured_header(uint16_t flags, uint16_t type,
                                                                    uint64_t handle,
                                                                    uint32_t length) {
  std::array<uint8_t, kStructuredHeaderSize> out{};
  uint8_t* p = out.data();
  store_u32(p, kStructuredReplyMagic);
  store_u16(p + 4, flags);
  store_u16(p + 6, type);
  store_u64(p + 8, handle);
  store_u32(p + 16, length);
  return out;
}

std::optional<StructuredHeader> decode_structured_header(ByteSpan bytes) {
  if (bytes.size() < kStructuredHeaderSize || get_u32(bytes.data()) != kStructuredReplyMagic) {
    return std::nullopt;
  }
  const uint8_t* p = bytes.data();
  return StructuredHeader{get_u16(p + 4), get_u16(p + 6), get_u64(p + 8), get_u32(p + 16)};
}

std::vector<uint8_t> encode_error_payload(uint32_t error, std::string_view message) {
  message = message.substr(0, kMaxStringLength);
  std::vector<uint8_t> out;
  put_u32(out, error);
  put_u16(out, static_cast<uint16_t>(message.size()));
  put_bytes(out, message);
  return out;
}

std::vector<uint8_t> encode_offset_hole_payload(uint64_t offset, uint32_t length) {
  std::vector<uint8_t> out;
  put_u64(out, offset);
  put_u32(out, length);
  return out;
}

std::vector<uint8_t> encode_block_status_payload(uint32_t context_id,
                                                 const std::vector<BlockDescriptor>& d) {
  std::vector<uint8_t> out;
  out.reserve(4 + 8 * d.size());
  put_u32(out, context_id);
  for (const BlockDescriptor& x : d) {
    put_u32(out, x.length);
    put_u32(out, x.flags);
  }
  return out;
}

std::optional<BlockStatusPayload> decode_block_status_payload(ByteSpan payload) {
  if (payload.size() < 12 || (payload.size() - 4) % 8 != 0) return std::nullopt;
  BlockStatusPayload r;
  r.context_id = get_u32(payload.data());
  for (size_t i = 4; i < payload.size(); i += 8) {
    r.descriptors.push_back({get_u32(payload.data() + i), get_u32(payload.data() + i + 4)});
  }
  return r;
}

}  // namespace accz::nbd
