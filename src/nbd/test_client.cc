#include "nbd/test_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "nbd/socket_io.h"

namespace accz::nbd::testing {

namespace {

constexpr int kTimeoutSeconds = 20;

void set_timeout(int fd) {
  timeval tv{kTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

}  // namespace

std::unique_ptr<TestClient> TestClient::connect_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  set_timeout(fd);
  return std::unique_ptr<TestClient>(new TestClient(fd));
}

std::unique_ptr<TestClient> TestClient::connect_tcp(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  set_timeout(fd);
  return std::unique_ptr<TestClient>(new TestClient(fd));
}

TestClient::~TestClient() { ::close(fd_); }

bool TestClient::send(ByteSpan bytes) { return send_all(fd_, {bytes}); }

bool TestClient::recv(void* buf, size_t n) { return read_full(fd_, buf, n); }

bool TestClient::server_closed() {
  uint8_t b;
  for (;;) {
    ssize_t n = ::recv(fd_, &b, 1, 0);
    if (n == 0) return true;
    if (n > 0) return false;
    if (errno == EINTR) continue;
    return errno == ECONNRESET || errno == EPIPE;
  }
}

bool TestClient::hello(uint32_t client_flags) {
  uint8_t g[kHandshakeSize];
  if (!recv(g, sizeof(g))) return false;
  if (get_u64(g) != kNbdMagic || get_u64(g + 8) != kOptionMagic) return false;
  handshake_flags_ = get_u16(g + 16);
  if (handshake_flags_ != (kFlagFixedNewstyle | kFlagNoZeroes)) return false;
  uint8_t f[4];
  store_u32(f, client_flags);
  return send(f);
}

bool TestClient::send_option(uint32_t option, ByteSpan payload) {
  return send(encode_option(option, payload));
}

std::optional<TestClient::OptionReply> TestClient::read_option_reply() {
  uint8_t h[kOptionReplyHeaderSize];
  if (!recv(h, sizeof(h))) return std::nullopt;
  std::optional<OptionReplyHeader> oh = decode_option_reply_header(h);
  if (!oh || oh->length > (1u << 20)) return std::nullopt;
  OptionReply r{oh->option, oh->type, std::vector<uint8_t>(oh->length)};
  if (!recv(r.payload.data(), r.payload.size())) return std::nullopt;
  return r;
}

std::vector<TestClient::OptionReply> TestClient::option(uint32_t option, ByteSpan payload) {
  std::vector<OptionReply> out;
  if (!send_option(option, payload)) return out;
  for (;;) {
    std::optional<OptionReply> r = read_option_reply();
    if (!r) return out;
    out.push_back(*r);
    if (r->type == kRepAck || (r->type & kRepErrBit)) return out;
  }
}

bool TestClient::negotiate(const std::string& name, bool structured, bool meta) {
  if (!hello()) return false;
  if (structured) {
    auto r = option(kOptStructuredReply);
    if (r.size() != 1 || r[0].type != kRepAck) return false;
    structured_ = true;
  }
  if (meta) {
    auto r = option(kOptSetMetaContext,
                    encode_meta_context_request({name, {std::string(kBaseAllocation)}}));
    if (r.empty() || r.back().type != kRepAck) return false;
  }
  auto r = option(kOptGo, encode_info_request({name, {kInfoBlockSize}}));
  if (r.empty() || r.back().type != kRepAck) return false;
  for (const OptionReply& x : r) {
    if (x.type == kRepInfo && x.payload.size() == 12 && get_u16(x.payload.data()) == kInfoExport) {
      size_ = get_u64(x.payload.data() + 2);
      tflags_ = get_u16(x.payload.data() + 10);
    }
  }
  return true;
}

bool TestClient::send_request(const Request& r, ByteSpan payload) {
  pending_[r.handle] = r;
  auto h = encode_request(r);
  return send_all(fd_, {h, payload});
}

std::optional<TestClient::Reply> TestClient::read_reply() {
  std::map<uint64_t, Reply> partial;
  for (;;) {
    uint8_t magic[4];
    if (!recv(magic, 4)) return std::nullopt;
    uint32_t m = get_u32(magic);
    if (m == kSimpleReplyMagic) {
      uint8_t rest[12];
      if (!recv(rest, sizeof(rest))) return std::nullopt;
      Reply r;
      r.error = get_u32(rest);
      r.handle = get_u64(rest + 4);
      auto it = pending_.find(r.handle);
      if (it == pending_.end()) return std::nullopt;
      if (it->second.type == kCmdRead && r.error == 0) {
        r.data.resize(it->second.length);
        if (!recv(r.data.data(), r.data.size())) return std::nullopt;
      }
      pending_.erase(it);
      return r;
    }
    if (m != kStructuredReplyMagic) return std::nullopt;
    uint8_t rest[kStructuredHeaderSize];
    store_u32(rest, m);
    if (!recv(rest + 4, kStructuredHeaderSize - 4)) return std::nullopt;
    std::optional<StructuredHeader> h = decode_structured_header(rest);
    if (!h || h->length > (64u << 20)) return std::nullopt;
    std::vector<uint8_t> payload(h->length);
    if (!recv(payload.data(), payload.size())) return std::nullopt;
    auto it = pending_.find(h->handle);
    if (it == pending_.end()) return std::nullopt;
    Reply& r = partial[h->handle];
    r.handle = h->handle;
    switch (h->type) {
      case kReplyTypeNone:
        if (!payload.empty()) return std::nullopt;
        break;
      case kReplyTypeOffsetData: {
        if (payload.size() < 9) return std::nullopt;
        uint64_t off = get_u64(payload.data());
        const Request& q = it->second;
        if (off < q.offset || off - q.offset + (payload.size() - 8) > q.length) {
          return std::nullopt;
        }
        r.data.resize(q.length);
        std::memcpy(r.data.data() + (off - q.offset), payload.data() + 8, payload.size() - 8);
        break;
      }
      case kReplyTypeOffsetHole: {
        if (payload.size() != 12) return std::nullopt;
        r.data.resize(it->second.length);
        break;  // zeros already
      }
      case kReplyTypeBlockStatus: {
        std::optional<BlockStatusPayload> b = decode_block_status_payload(payload);
        if (!b) return std::nullopt;
        r.descriptors = b->descriptors;
        break;
      }
      case kReplyTypeError: {
        if (payload.size() < 6) return std::nullopt;
        r.error = get_u32(payload.data());
        uint16_t len = get_u16(payload.data() + 4);
        if (len > payload.size() - 6) return std::nullopt;
        r.message.assign(reinterpret_cast<const char*>(payload.data() + 6), len);
        break;
      }
      default:
        return std::nullopt;
    }
    if (h->flags & kReplyFlagDone) {
      Reply out = std::move(r);
      partial.erase(h->handle);
      pending_.erase(it);
      return out;
    }
  }
}

std::optional<TestClient::Reply> TestClient::call(const Request& r, ByteSpan payload) {
  if (!send_request(r, payload)) return std::nullopt;
  return read_reply();
}

std::optional<TestClient::Reply> TestClient::read(uint64_t offset, uint32_t length,
                                                  uint16_t flags) {
  return call({flags, kCmdRead, next_handle_++, offset, length});
}

std::optional<TestClient::Reply> TestClient::write(uint64_t offset, ByteSpan data, uint16_t flags) {
  return call({flags, kCmdWrite, next_handle_++, offset, static_cast<uint32_t>(data.size())}, data);
}

std::optional<TestClient::Reply> TestClient::command(uint16_t type, uint64_t offset,
                                                     uint32_t length, uint16_t flags) {
  return call({flags, type, next_handle_++, offset, length});
}

}  // namespace accz::nbd::testing
