// nbd/protocol.h — the NBD wire format (the NetworkBlockDevice project's doc/proto.md):
// constants, and big-endian encoders and decoders for the handshake, options, option replies,
// requests, simple and structured replies and info blocks.
//
// Promise: encoders produce exactly the bytes the protocol lays out; decoders accept only
// well-formed input (right magic, lengths that add up, strings within the protocol's 4096-byte
// limit) and return nullopt otherwise, never reading past the span they were given.
//
// Thread-safety: pure functions on caller-owned buffers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accz/types.h"

namespace accz::nbd {

// Magics.
inline constexpr uint64_t kNbdMagic = 0x4e42444d41474943ull;     // "NBDMAGIC"
inline constexpr uint64_t kOptionMagic = 0x49484156454f5054ull;  // "IHAVEOPT"
inline constexpr uint64_t kOptionReplyMagic = 0x0003e889045565a9ull;
inline constexpr uint32_t kRequestMagic = 0x25609513u;
inline constexpr uint32_t kSimpleReplyMagic = 0x67446698u;
inline constexpr uint32_t kStructuredReplyMagic = 0x668e33efu;

// Handshake flags (server) and client flags.
inline constexpr uint16_t kFlagFixedNewstyle = 1u << 0;
inline constexpr uint16_t kFlagNoZeroes = 1u << 1;
inline constexpr uint32_t kClientFlagFixedNewstyle = 1u << 0;
inline constexpr uint32_t kClientFlagNoZeroes = 1u << 1;

// Transmission flags.
inline constexpr uint16_t kFlagHasFlags = 1u << 0;
inline constexpr uint16_t kFlagReadOnly = 1u << 1;
inline constexpr uint16_t kFlagSendFlush = 1u << 2;
inline constexpr uint16_t kFlagSendFua = 1u << 3;
inline constexpr uint16_t kFlagRotational = 1u << 4;
inline constexpr uint16_t kFlagSendTrim = 1u << 5;
inline constexpr uint16_t kFlagSendWriteZeroes = 1u << 6;
inline constexpr uint16_t kFlagSendDf = 1u << 7;
inline constexpr uint16_t kFlagCanMultiConn = 1u << 8;
inline constexpr uint16_t kFlagSendCache = 1u << 10;
inline constexpr uint16_t kFlagSendFastZero = 1u << 11;

// Options.
inline constexpr uint32_t kOptExportName = 1;
inline constexpr uint32_t kOptAbort = 2;
inline constexpr uint32_t kOptList = 3;
inline constexpr uint32_t kOptStartTls = 5;
inline constexpr uint32_t kOptInfo = 6;
inline constexpr uint32_t kOptGo = 7;
inline constexpr uint32_t kOptStructuredReply = 8;
inline constexpr uint32_t kOptListMetaContext = 9;
inline constexpr uint32_t kOptSetMetaContext = 10;
inline constexpr uint32_t kOptExtendedHeaders = 11;

// Option replies.
inline constexpr uint32_t kRepAck = 1;
inline constexpr uint32_t kRepServer = 2;
inline constexpr uint32_t kRepInfo = 3;
inline constexpr uint32_t kRepMetaContext = 4;
inline constexpr uint32_t kRepErrBit = 1u << 31;
inline constexpr uint32_t kRepErrUnsup = kRepErrBit | 1;
inline constexpr uint32_t kRepErrPolicy = kRepErrBit | 2;
inline constexpr uint32_t kRepErrInvalid = kRepErrBit | 3;
inline constexpr uint32_t kRepErrPlatform = kRepErrBit | 4;
inline constexpr uint32_t kRepErrTlsReqd = kRepErrBit | 5;
inline constexpr uint32_t kRepErrUnknown = kRepErrBit | 6;
inline constexpr uint32_t kRepErrShutdown = kRepErrBit | 7;
inline constexpr uint32_t kRepErrBlockSizeReqd = kRepErrBit | 8;
inline constexpr uint32_t kRepErrTooBig = kRepErrBit | 9;

// NBD_INFO types.
inline constexpr uint16_t kInfoExport = 0;
inline constexpr uint16_t kInfoName = 1;
inline constexpr uint16_t kInfoDescription = 2;
inline constexpr uint16_t kInfoBlockSize = 3;

// Commands and command flags.
inline constexpr uint16_t kCmdRead = 0;
inline constexpr uint16_t kCmdWrite = 1;
inline constexpr uint16_t kCmdDisc = 2;
inline constexpr uint16_t kCmdFlush = 3;
inline constexpr uint16_t kCmdTrim = 4;
inline constexpr uint16_t kCmdCache = 5;
inline constexpr uint16_t kCmdWriteZeroes = 6;
inline constexpr uint16_t kCmdBlockStatus = 7;
inline constexpr uint16_t kCmdFlagFua = 1u << 0;
inline constexpr uint16_t kCmdFlagNoHole = 1u << 1;
inline constexpr uint16_t kCmdFlagDf = 1u << 2;
inline constexpr uint16_t kCmdFlagReqOne = 1u << 3;
inline constexpr uint16_t kCmdFlagFastZero = 1u << 4;

// Structured reply flags and chunk types.
inline constexpr uint16_t kReplyFlagDone = 1u << 0;
inline constexpr uint16_t kReplyTypeNone = 0;
inline constexpr uint16_t kReplyTypeOffsetData = 1;
inline constexpr uint16_t kReplyTypeOffsetHole = 2;
inline constexpr uint16_t kReplyTypeBlockStatus = 5;
inline constexpr uint16_t kReplyTypeError = (1u << 15) | 1;
inline constexpr uint16_t kReplyTypeErrorOffset = (1u << 15) | 2;

// base:allocation state flags.
inline constexpr uint32_t kStateHole = 1u << 0;
inline constexpr uint32_t kStateZero = 1u << 1;
inline constexpr std::string_view kBaseAllocation = "base:allocation";

// Error values on the wire (fixed by the protocol, not the host's errno numbering).
inline constexpr uint32_t kEperm = 1;
inline constexpr uint32_t kEio = 5;
inline constexpr uint32_t kEnomem = 12;
inline constexpr uint32_t kEinval = 22;
inline constexpr uint32_t kEnospc = 28;
inline constexpr uint32_t kEoverflow = 75;
inline constexpr uint32_t kEnotsup = 95;
inline constexpr uint32_t kEshutdown = 108;

// Sizes of fixed parts.
inline constexpr size_t kHandshakeSize = 18;          // NBDMAGIC, IHAVEOPT, flags
inline constexpr size_t kOptionHeaderSize = 16;       // IHAVEOPT, option, length
inline constexpr size_t kOptionReplyHeaderSize = 20;  // magic, option, type, length
inline constexpr size_t kRequestSize = 28;
inline constexpr size_t kSimpleReplySize = 16;
inline constexpr size_t kStructuredHeaderSize = 20;
inline constexpr size_t kMaxStringLength = 4096;  // names, queries, messages

// The host's errno as the protocol's error value: EROFS/EPERM → EPERM, EDQUOT/EFBIG/ENOSPC
// → ENOSPC, ENOTSUP/EOPNOTSUPP → ENOTSUP, the defined values as themselves, anything else EIO.
uint32_t to_wire_error(int err);

// Big-endian primitives.
void put_u16(std::vector<uint8_t>& out, uint16_t v);
void put_u32(std::vector<uint8_t>& out, uint32_t v);
void put_u64(std::vector<uint8_t>& out, uint64_t v);
void put_bytes(std::vector<uint8_t>& out, std::string_view s);
uint16_t get_u16(const uint8_t* p);
uint32_t get_u32(const uint8_t* p);
uint64_t get_u64(const uint8_t* p);
void store_u16(uint8_t* p, uint16_t v);
void store_u32(uint8_t* p, uint32_t v);
void store_u64(uint8_t* p, uint64_t v);

// --- Handshake --------------------------------------------------------------------------

// S: NBDMAGIC, IHAVEOPT, handshake flags.
std::array<uint8_t, kHandshakeSize> encode_handshake(uint16_t flags);

struct OptionHeader {
  uint32_t option = 0;
  uint32_t length = 0;  // payload bytes that follow
};
// nullopt unless it starts with IHAVEOPT. REQUIRES: bytes.size() >= kOptionHeaderSize.
std::optional<OptionHeader> decode_option_header(ByteSpan bytes);
std::vector<uint8_t> encode_option(uint32_t option, ByteSpan payload);  // client side (tests)

// S: option reply: magic, option, type, length, payload.
std::vector<uint8_t> encode_option_reply(uint32_t option, uint32_t type, ByteSpan payload = {});
std::vector<uint8_t> encode_option_reply(uint32_t option, uint32_t type, std::string_view text);
struct OptionReplyHeader {
  uint32_t option = 0;
  uint32_t type = 0;
  uint32_t length = 0;
};
std::optional<OptionReplyHeader> decode_option_reply_header(ByteSpan bytes);

// Reply to NBD_OPT_EXPORT_NAME: size, transmission flags, and 124 zeros unless no_zeroes.
std::vector<uint8_t> encode_export_name_reply(uint64_t size, uint16_t flags, bool no_zeroes);

// NBD_REP_INFO payloads.
std::vector<uint8_t> encode_info_export(uint64_t size, uint16_t flags);
std::vector<uint8_t> encode_info_string(uint16_t type, std::string_view s);  // NAME, DESCRIPTION
std::vector<uint8_t> encode_info_block_size(uint32_t minimum, uint32_t preferred, uint32_t maximum);
// NBD_REP_SERVER payload: name length, name (and nothing after it).
std::vector<uint8_t> encode_rep_server(std::string_view name);
// NBD_REP_META_CONTEXT payload: context id, name.
std::vector<uint8_t> encode_rep_meta_context(uint32_t id, std::string_view name);

// NBD_OPT_INFO / NBD_OPT_GO data.
struct InfoRequest {
  std::string name;
  std::vector<uint16_t> infos;
  bool operator==(const InfoRequest&) const = default;
};
std::optional<InfoRequest> decode_info_request(ByteSpan payload);
std::vector<uint8_t> encode_info_request(const InfoRequest& r);

// NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT data.
struct MetaContextRequest {
  std::string export_name;
  std::vector<std::string> queries;
  bool operator==(const MetaContextRequest&) const = default;
};
std::optional<MetaContextRequest> decode_meta_context_request(ByteSpan payload);
std::vector<uint8_t> encode_meta_context_request(const MetaContextRequest& r);

// --- Transmission -----------------------------------------------------------------------

struct Request {
  uint16_t flags = 0;
  uint16_t type = 0;
  uint64_t handle = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
  bool operator==(const Request&) const = default;
};
// nullopt unless the magic is NBD_REQUEST_MAGIC. REQUIRES: bytes.size() >= kRequestSize.
std::optional<Request> decode_request(ByteSpan bytes);
std::array<uint8_t, kRequestSize> encode_request(const Request& r);

std::array<uint8_t, kSimpleReplySize> encode_simple_reply(uint32_t error, uint64_t handle);
struct SimpleReply {
  uint32_t error = 0;
  uint64_t handle = 0;
};
std::optional<SimpleReply> decode_simple_reply(ByteSpan bytes);

std::array<uint8_t, kStructuredHeaderSize> encode_structured_header(uint16_t flags, uint16_t type,
                                                                    uint64_t handle,
                                                                    uint32_t length);
struct StructuredHeader {
  uint16_t flags = 0;
  uint16_t type = 0;
  uint64_t handle = 0;
  uint32_t length = 0;
};
std::optional<StructuredHeader> decode_structured_header(ByteSpan bytes);

// NBD_REPLY_TYPE_ERROR payload: error, message length, message (cut to 4096 bytes).
std::vector<uint8_t> encode_error_payload(uint32_t error, std::string_view message);
// NBD_REPLY_TYPE_OFFSET_HOLE payload.
std::vector<uint8_t> encode_offset_hole_payload(uint64_t offset, uint32_t length);

struct BlockDescriptor {
  uint32_t length = 0;
  uint32_t flags = 0;
  bool operator==(const BlockDescriptor&) const = default;
};
// NBD_REPLY_TYPE_BLOCK_STATUS payload: context id, then (length, flags) pairs.
std::vector<uint8_t> encode_block_status_payload(uint32_t context_id,
                                                 const std::vector<BlockDescriptor>& d);
struct BlockStatusPayload {
  uint32_t context_id = 0;
  std::vector<BlockDescriptor> descriptors;
};
std::optional<BlockStatusPayload> decode_block_status_payload(ByteSpan payload);

}  // namespace accz::nbd
