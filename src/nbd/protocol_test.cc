// The NBD wire format, byte for byte against the layouts in the protocol document.
#include "nbd/protocol.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

namespace accz::nbd {
namespace {

std::vector<uint8_t> hex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size();) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
    i += 2;
  }
  return out;
}

template <class C>
std::vector<uint8_t> vec(const C& c) {
  return std::vector<uint8_t>(c.begin(), c.end());
}

TEST(NbdProtocol, EncodersProduceTheDocumentedBytes) {
  struct Row {
    const char* what;
    std::vector<uint8_t> got;
    std::string want;
  };
  const Row rows[] = {
      {"handshake", vec(encode_handshake(kFlagFixedNewstyle | kFlagNoZeroes)),
       "4e42444d41474943 49484156454f5054 0003"},
      {"option", encode_option(kOptList, {}), "49484156454f5054 00000003 00000000"},
      {"option reply ack", encode_option_reply(kOptGo, kRepAck),
       "0003e889045565a9 00000007 00000001 00000000"},
      {"option reply error text", encode_option_reply(kOptInfo, kRepErrUnknown, "no"),
       "0003e889045565a9 00000006 80000006 00000002 6e6f"},
      {"export name reply, zeroes omitted", encode_export_name_reply(0x1000, 0x0043, true),
       "0000000000001000 0043"},
      {"info export", encode_info_export(0x123456789a, 0x010d), "0000 000000123456789a 010d"},
      {"info name", encode_info_string(kInfoName, "ab"), "0001 6162"},
      {"info description", encode_info_string(kInfoDescription, ""), "0002"},
      {"info block size", encode_info_block_size(1, 4096, 32 << 20),
       "0003 00000001 00001000 02000000"},
      {"rep server", encode_rep_server("x"), "00000001 78"},
      {"rep meta context", encode_rep_meta_context(1, "b:a"), "00000001 623a61"},
      {"info request", encode_info_request({"e", {kInfoName, kInfoBlockSize}}),
       "00000001 65 0002 0001 0003"},
      {"meta context request", encode_meta_context_request({"", {"base:allocation"}}),
       "00000000 00000001 0000000f 626173653a616c6c6f636174696f6e"},
      {"request", vec(encode_request({kCmdFlagFua, kCmdWrite, 0x0102030405060708, 0x200, 0x10})),
       "25609513 0001 0001 0102030405060708 0000000000000200 00000010"},
      {"simple reply", vec(encode_simple_reply(kEinval, 7)), "67446698 00000016 0000000000000007"},
      {"structured header",
       vec(encode_structured_header(kReplyFlagDone, kReplyTypeOffsetData, 9, 12)),
       "668e33ef 0001 0001 0000000000000009 0000000c"},
      {"error payload", encode_error_payload(kEio, "bad"), "00000005 0003 626164"},
      {"offset hole", encode_offset_hole_payload(0x10, 0x20), "0000000000000010 00000020"},
      {"block status", encode_block_status_payload(1, {{4096, kStateHole | kStateZero}, {512, 0}}),
       "00000001 00001000 00000003 00000200 00000000"},
  };
  for (const Row& r : rows) EXPECT_EQ(r.got, hex(r.want)) << r.what;
}

TEST(NbdProtocol, DecodersRoundTripEncoders) {
  Request req{kCmdFlagReqOne, kCmdBlockStatus, ~0ull, 1ull << 40, 0xffffffffu};
  auto bytes = encode_request(req);
  ASSERT_TRUE(decode_request(bytes));
  EXPECT_EQ(*decode_request(bytes), req);

  InfoRequest info{"disk", {kInfoExport, kInfoDescription}};
  EXPECT_EQ(decode_info_request(encode_info_request(info)), info);

  MetaContextRequest meta{"x", {"base:", "base:allocation", "qemu:dirty-bitmap:a"}};
  EXPECT_EQ(decode_meta_context_request(encode_meta_context_request(meta)), meta);

  auto opt = encode_option(kOptGo, std::vector<uint8_t>(5));
  auto oh = decode_option_header(opt);
  ASSERT_TRUE(oh);
  EXPECT_EQ(oh->option, kOptGo);
  EXPECT_EQ(oh->length, 5u);

  auto rep = encode_option_reply(kOptList, kRepServer, encode_rep_server("n"));
  auto rh = decode_option_reply_header(rep);
  ASSERT_TRUE(rh);
  EXPECT_EQ(rh->type, kRepServer);
  EXPECT_EQ(rh->length, 5u);

  auto sr = decode_simple_reply(encode_simple_reply(kEnospc, 42));
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->error, kEnospc);
  EXPECT_EQ(sr->handle, 42u);

  auto sh = decode_structured_header(encode_structured_header(0, kReplyTypeError, 3, 6));
  ASSERT_TRUE(sh);
  EXPECT_EQ(sh->type, kReplyTypeError);
  EXPECT_EQ(sh->length, 6u);

  auto bs = decode_block_status_payload(encode_block_status_payload(5, {{1, 2}, {3, 4}}));
  ASSERT_TRUE(bs);
  EXPECT_EQ(bs->context_id, 5u);
  EXPECT_EQ(bs->descriptors, (std::vector<BlockDescriptor>{{1, 2}, {3, 4}}));
}

TEST(NbdProtocol, DecodersRejectMalformedInput) {
  struct Row {
    const char* what;
    std::string bytes;
  };
  const Row info_rows[] = {
      {"empty", ""},
      {"name length past end", "00000005 6162 0000"},
      {"no info count", "00000000"},
      {"count larger than list", "00000000 0002 0001"},
      {"trailing byte", "00000000 0001 0001 00"},
      {"NUL in name", "00000001 00 0000"},
  };
  for (const Row& r : info_rows) EXPECT_FALSE(decode_info_request(hex(r.bytes))) << r.what;

  const Row meta_rows[] = {
      {"empty", ""},
      {"no query count", "00000000"},
      {"count without queries", "00000000 00000001"},
      {"huge count", "00000000 ffffffff 00000000"},
      {"query past end", "00000000 00000001 00000009 6261"},
      {"trailing bytes", "00000000 00000000 00"},
  };
  for (const Row& r : meta_rows) EXPECT_FALSE(decode_meta_context_request(hex(r.bytes))) << r.what;

  // Name longer than the protocol's 4096-byte string limit.
  std::vector<uint8_t> long_name;
  put_u32(long_name, 5000);
  long_name.resize(long_name.size() + 5000, 'a');
  put_u16(long_name, 0);
  EXPECT_FALSE(decode_info_request(long_name));

  EXPECT_FALSE(
      decode_request(hex("25609514 0000 0000 0000000000000000 0000000000000000 00000000")));
  EXPECT_FALSE(decode_option_header(hex("49484156454f5055 00000001 00000000")));
  EXPECT_FALSE(decode_simple_reply(hex("668e33ef 00000000 0000000000000000")));
  EXPECT_FALSE(decode_block_status_payload(hex("00000001")));
  EXPECT_FALSE(decode_block_status_payload(hex("00000001 00001000")));
}

TEST(NbdProtocol, HostErrnoMapsToTheProtocolsValues) {
  struct Row {
    int err;
    uint32_t wire;
  };
  const Row rows[] = {{0, 0},
                      {EPERM, kEperm},
                      {EROFS, kEperm},
                      {EIO, kEio},
                      {ENOMEM, kEnomem},
                      {EINVAL, kEinval},
                      {ENOSPC, kEnospc},
                      {EDQUOT, kEnospc},
                      {EFBIG, kEnospc},
                      {EOVERFLOW, kEoverflow},
                      {ENOTSUP, kEnotsup},
                      {ESHUTDOWN, kEshutdown},
                      {EBADMSG, kEio},
                      {EUCLEAN, kEio}};
  for (const Row& r : rows) EXPECT_EQ(to_wire_error(r.err), r.wire) << r.err;
}

}  // namespace
}  // namespace accz::nbd
