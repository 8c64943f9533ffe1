// nbd/test_client.h — a raw-socket NBD client for the server's tests: it sends exactly the
// bytes a test asks for and decodes what comes back, so tests can also send what a real
// client never would.
//
// Promise: every receive gives up after a timeout (a hung server fails a test, never hangs
// it); replies are parsed strictly (wrong magic, bad chunk lengths → nullopt).
//
// Thread-safety: one thread per client, except that send and receive may run on two threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nbd/protocol.h"

namespace accz::nbd::testing {

class TestClient {
 public:
  static std::unique_ptr<TestClient> connect_unix(const std::string& path);
  static std::unique_ptr<TestClient> connect_tcp(uint16_t port);
  ~TestClient();

  int fd() const { return fd_; }
  bool send(ByteSpan bytes);
  bool recv(void* buf, size_t n);
  // True if the server closed the connection (EOF or reset) within the timeout, having sent
  // nothing more.
  bool server_closed();

  // Reads the server's greeting and answers with `client_flags`. False if the greeting is
  // not NBDMAGIC/IHAVEOPT with fixed newstyle and no-zeroes.
  bool hello(uint32_t client_flags = kClientFlagFixedNewstyle | kClientFlagNoZeroes);
  uint16_t handshake_flags() const { return handshake_flags_; }

  struct OptionReply {
    uint32_t option = 0;
    uint32_t type = 0;
    std::vector<uint8_t> payload;
  };
  bool send_option(uint32_t option, ByteSpan payload = {});
  std::optional<OptionReply> read_option_reply();
  // Sends an option and collects replies up to and including the final one (ACK or error).
  std::vector<OptionReply> option(uint32_t option, ByteSpan payload = {});

  // hello(), then optionally STRUCTURED_REPLY and SET_META_CONTEXT base:allocation, then GO.
  bool negotiate(const std::string& name = "", bool structured = true, bool meta = true);
  uint64_t export_size() const { return size_; }
  uint16_t transmission_flags() const { return tflags_; }
  bool structured() const { return structured_; }

  struct Reply {
    uint64_t handle = 0;
    uint32_t error = 0;
    std::vector<uint8_t> data;                 // READ: the bytes, reassembled
    std::vector<BlockDescriptor> descriptors;  // BLOCK_STATUS
    std::string message;                       // structured error message
  };
  // Sends a request (and its payload) and remembers it, so its reply can be parsed.
  bool send_request(const Request& r, ByteSpan payload = {});
  // Remembers a request sent as raw bytes, so its reply can be parsed.
  void expect(const Request& r) { pending_[r.handle] = r; }
  // The next complete reply (all chunks up to DONE), whatever its handle.
  std::optional<Reply> read_reply();
  // send_request() then read_reply(); REQUIRES nothing else in flight.
  std::optional<Reply> call(const Request& r, ByteSpan payload = {});
  // Convenience forms; handle chosen automatically.
  std::optional<Reply> read(uint64_t offset, uint32_t length, uint16_t flags = 0);
  std::optional<Reply> write(uint64_t offset, ByteSpan data, uint16_t flags = 0);
  std::optional<Reply> command(uint16_t type, uint64_t offset = 0, uint32_t length = 0,
                               uint16_t flags = 0);

 private:
  explicit TestClient(int fd) : fd_(fd) {}

  int fd_;
  uint16_t handshake_flags_ = 0;
  uint64_t size_ = 0;
  uint16_t tflags_ = 0;
  bool structured_ = false;
  uint64_t next_handle_ = 1;
  std::map<uint64_t, Request> pending_;
};

}  // namespace accz::nbd::testing
