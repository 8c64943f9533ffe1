#include "nbd/connection.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <new>
#include <system_error>
#include <thread>

#include "nbd/socket_io.h"

namespace accz::nbd {

namespace {

// Options carry at most a name, a few info requests or a few queries: 64 KiB is plenty.
// Larger ones are skipped with NBD_REP_ERR_TOO_BIG, absurd ones end the session.
constexpr uint32_t kMaxOptionPayload = 64 << 10;
constexpr uint32_t kMaxDiscardedOption = 16 << 20;
// READ replies are built in place: the buffer keeps room for the largest header in front of
// the data (a structured OFFSET_DATA header plus its offset), so header and data go out in
// one write without a copy.
constexpr size_t kHeaderRoom = 32;
// The base:allocation context's id on this server.
constexpr uint32_t kBaseAllocationId = 1;
// A BLOCK_STATUS reply may describe less than asked; this bounds its size.
constexpr size_t kMaxDescriptors = 1 << 16;
// The most replies, and payload bytes, the writer gathers into one write.
constexpr size_t kMaxBatch = 64;
constexpr size_t kMaxBatchBytes = size_t{4} << 20;

void set_timeouts(int fd, uint32_t ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>(ms % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

// A request's buffer. Allocation failure is the one place memory pressure shows: the
// request gets ENOMEM instead of the process dying.
std::unique_ptr<uint8_t[]> allocate(size_t n, int* err, const char** why) {
  std::unique_ptr<uint8_t[]> buf(new (std::nothrow) uint8_t[n]);
  if (!buf) {
    *err = ENOMEM;
    *why = "out of memory for the request's buffer";
  }
  return buf;
}

}  // namespace

struct Connection::Pending {
  Request req;
  size_t bytes = 0;  // counted against max_in_flight_bytes
  std::unique_ptr<uint8_t[]> buf;
  int error = 0;
  const char* why = nullptr;
  std::vector<ExportExtent> extents;
  size_t sent = 0;  // bytes of the reply the reading thread already sent
};

Connection::Connection(int fd, ServerContext& ctx) : fd_(fd), ctx_(ctx) {}

Connection::~Connection() { ::close(fd_); }

void Connection::stop_reading() { ::shutdown(fd_, SHUT_RD); }

void Connection::abort_io() { ::shutdown(fd_, SHUT_RDWR); }

void Connection::hard_disconnect() { ctx_.counters.hard_disconnects.fetch_add(1); }

void Connection::serve() {
  uint32_t timeout = ctx_.options.handshake_timeout_ms;
  if (timeout != 0) set_timeouts(fd_, timeout);
  std::optional<Session> session = handshake();
  if (!session) return;
  if (timeout != 0) set_timeouts(fd_, 0);
  transmission(*session);
}

// --- Handshake --------------------------------------------------------------------------

uint16_t Connection::transmission_flags(const ExportEntry& e, bool structured) const {
  const ExportFeatures& f = e.features;
  uint16_t flags = kFlagHasFlags;
  if (f.read_only) flags |= kFlagReadOnly;
  if (f.flush) flags |= kFlagSendFlush;
  if (f.fua) flags |= kFlagSendFua;
  if (f.trim && !f.read_only) flags |= kFlagSendTrim;
  if (f.write_zeroes && !f.read_only) flags |= kFlagSendWriteZeroes;
  if (f.write_zeroes && f.fast_zero && !f.read_only) flags |= kFlagSendFastZero;
  if (f.cache) flags |= kFlagSendCache;
  // Every read is answered with one content chunk, so "don't fragment" always holds.
  if (structured) flags |= kFlagSendDf;
  if (f.multi_conn) flags |= kFlagCanMultiConn;
  return flags;
}

bool Connection::send_option_reply(uint32_t option, uint32_t type, ByteSpan payload) {
  std::vector<uint8_t> reply = encode_option_reply(option, type, payload);
  return send_all(fd_, {reply});
}

bool Connection::send_option_error(uint32_t option, uint32_t type, std::string_view message) {
  std::vector<uint8_t> reply = encode_option_reply(option, type, message);
  return send_all(fd_, {reply});
}

bool Connection::reply_info(uint32_t option, const InfoRequest& r, const ExportEntry& e,
                            bool structured) {
  if (!send_option_reply(option, kRepInfo,
                         encode_info_export(e.size, transmission_flags(e, structured)))) {
    return false;
  }
  bool sent_name = false, sent_description = false;
  for (uint16_t info : r.infos) {
    if (info == kInfoName && !sent_name) {
      sent_name = true;
      if (!send_option_reply(option, kRepInfo, encode_info_string(kInfoName, e.name))) {
        return false;
      }
    } else if (info == kInfoDescription && !sent_description && !e.description.empty()) {
      sent_description = true;
      if (!send_option_reply(option, kRepInfo,
                             encode_info_string(kInfoDescription, e.description))) {
        return false;
      }
    }
  }
  // Sent whether asked or not: a client that did not ask may ignore it, and one that did
  // must obey it.
  if (!send_option_reply(
          option, kRepInfo,
          encode_info_block_size(e.sizes.minimum, e.sizes.preferred, e.sizes.maximum))) {
    return false;
  }
  return send_option_reply(option, kRepAck);
}

std::optional<Connection::Session> Connection::handshake() {
  auto hello = encode_handshake(kFlagFixedNewstyle | kFlagNoZeroes);
  if (!send_all(fd_, {hello})) return std::nullopt;
  uint8_t client_flags_bytes[4];
  if (!read_full(fd_, client_flags_bytes, 4)) return std::nullopt;
  uint32_t client_flags = get_u32(client_flags_bytes);
  if (client_flags & ~(kClientFlagFixedNewstyle | kClientFlagNoZeroes)) {
    hard_disconnect();  // the protocol says: drop a client with flags we do not know
    return std::nullopt;
  }
  const bool no_zeroes = client_flags & kClientFlagNoZeroes;
  bool structured = false;
  // The export whose base:allocation the last NBD_OPT_SET_META_CONTEXT selected.
  std::optional<std::string> meta_export;
  std::vector<uint8_t> payload;
  // The socket timeout bounds each receive; this bounds the whole handshake, so a client
  // trickling options cannot hold a connection slot forever.
  const uint32_t timeout_ms = ctx_.options.handshake_timeout_ms;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);

  for (;;) {
    if (timeout_ms != 0 && std::chrono::steady_clock::now() > deadline) {
      hard_disconnect();
      return std::nullopt;
    }
    uint8_t header[kOptionHeaderSize];
    if (!read_full(fd_, header, sizeof(header))) return std::nullopt;
    std::optional<OptionHeader> opt = decode_option_header(header);
    if (!opt) {
      hard_disconnect();
      return std::nullopt;
    }
    const uint32_t option = opt->option;
    if (opt->length > kMaxOptionPayload) {
      if (option == kOptExportName || opt->length > kMaxDiscardedOption) {
        hard_disconnect();
        return std::nullopt;
      }
      if (!discard(fd_, opt->length) ||
          !send_option_error(option, kRepErrTooBig, "option data too large")) {
        return std::nullopt;
      }
      continue;
    }
    payload.resize(opt->length);
    if (!read_full(fd_, payload.data(), payload.size())) return std::nullopt;

    bool sent = true;
    switch (option) {
      case kOptExportName: {
        std::string_view name(reinterpret_cast<const char*>(payload.data()), payload.size());
        const ExportEntry* e = ctx_.find(name);
        if (e == nullptr) {
          hard_disconnect();  // this option cannot report an error: the protocol says close
          return std::nullopt;
        }
        uint16_t flags = transmission_flags(*e, structured);
        std::vector<uint8_t> reply = encode_export_name_reply(e->size, flags, no_zeroes);
        if (!send_all(fd_, {reply})) return std::nullopt;
        return Session{e, flags, structured, meta_export == e->name};
      }
      case kOptAbort:
        send_option_reply(option, kRepAck);
        return std::nullopt;
      case kOptList:
        if (!payload.empty()) {
          sent = send_option_error(option, kRepErrInvalid, "NBD_OPT_LIST takes no data");
          break;
        }
        for (const auto& [name, e] : ctx_.exports) {
          if (!send_option_reply(option, kRepServer, encode_rep_server(name))) {
            return std::nullopt;
          }
        }
        sent = send_option_reply(option, kRepAck);
        break;
      case kOptInfo:
      case kOptGo: {
        std::optional<InfoRequest> r = decode_info_request(payload);
        if (!r) {
          sent = send_option_error(option, kRepErrInvalid, "malformed info request");
          break;
        }
        const ExportEntry* e = ctx_.find(r->name);
        if (e == nullptr) {
          sent = send_option_error(option, kRepErrUnknown, "no such export");
          break;
        }
        if (!reply_info(option, *r, *e, structured)) return std::nullopt;
        if (option == kOptGo) {
          return Session{e, transmission_flags(*e, structured), structured, meta_export == e->name};
        }
        break;
      }
      case kOptStructuredReply:
        if (!ctx_.options.structured_replies) {
          sent = send_option_error(option, kRepErrUnsup, "structured replies are off");
        } else if (!payload.empty()) {
          sent = send_option_error(option, kRepErrInvalid, "takes no data");
        } else {
          structured = true;
          sent = send_option_reply(option, kRepAck);
        }
        break;
      case kOptListMetaContext:
      case kOptSetMetaContext: {
        const bool set = option == kOptSetMetaContext;
        if (set) meta_export.reset();  // replaced even when this one fails
        if (!structured) {
          sent = send_option_error(option, kRepErrInvalid, "negotiate structured replies first");
          break;
        }
        std::optional<MetaContextRequest> r = decode_meta_context_request(payload);
        if (!r) {
          sent = send_option_error(option, kRepErrInvalid, "malformed meta context request");
          break;
        }
        const ExportEntry* e = ctx_.find(r->export_name);
        if (e == nullptr) {
          sent = send_option_error(option, kRepErrUnknown, "no such export");
          break;
        }
        bool match = !set && r->queries.empty();
        for (const std::string& q : r->queries) {
          if (q == kBaseAllocation || (!set && q == "base:")) match = true;
        }
        if (match) {
          if (!send_option_reply(
                  option, kRepMetaContext,
                  encode_rep_meta_context(set ? kBaseAllocationId : 0, kBaseAllocation))) {
            return std::nullopt;
          }
          if (set) meta_export = e->name;
        }
        sent = send_option_reply(option, kRepAck);
        break;
      }
      default:
        sent = send_option_error(option, kRepErrUnsup, "unsupported option");
        break;
    }
    if (!sent) return std::nullopt;
  }
}

// --- Transmission -----------------------------------------------------------------------

int Connection::check(const Session& s, const Request& r, const char** why) const {
  const ExportEntry& e = *s.entry;
  const ExportFeatures& f = e.features;
  auto fail = [why](const char* message, int err) {
    *why = message;
    return err;
  };
  uint16_t allowed = kCmdFlagFua;
  bool writes = false, ranged = true, payload_sized = false;
  switch (r.type) {
    case kCmdRead:
      if (s.structured) allowed |= kCmdFlagDf;
      payload_sized = true;
      break;
    case kCmdWrite:
      writes = payload_sized = true;
      break;
    case kCmdFlush:
      ranged = false;
      if (!f.flush) return fail("flush not supported", EINVAL);
      break;
    case kCmdTrim:
      writes = true;
      if (!f.trim) return fail("trim not supported", EINVAL);
      break;
    case kCmdWriteZeroes:
      writes = true;
      allowed |= kCmdFlagNoHole;
      if (s.flags & kFlagSendFastZero) allowed |= kCmdFlagFastZero;
      if (!f.write_zeroes) return fail("write zeroes not supported", EINVAL);
      break;
    case kCmdCache:
      if (!f.cache) return fail("cache not supported", EINVAL);
      break;
    case kCmdBlockStatus:
      allowed |= kCmdFlagReqOne;
      if (!s.base_allocation) return fail("no metadata context negotiated", EINVAL);
      if (r.length == 0) return fail("empty block status request", EINVAL);
      break;
    default:
      return fail("unknown command", EINVAL);
  }
  if ((r.flags & kCmdFlagFua) && !(s.flags & kFlagSendFua)) {
    return fail("FUA not negotiated", EINVAL);
  }
  if (r.flags & ~allowed) return fail("command flag not valid here", EINVAL);
  if (writes && f.read_only) return fail("read-only export", EPERM);
  if (payload_sized && r.length > e.sizes.maximum) {
    return fail("larger than the maximum block size", EINVAL);
  }
  if (ranged) {
    if (r.offset > e.size || r.length > e.size - r.offset) {
      // The protocol asks for ENOSPC when a write runs past the end.
      return fail("beyond the end of the export",
                  (r.type == kCmdWrite || r.type == kCmdWriteZeroes) ? ENOSPC : EINVAL);
    }
    uint32_t min = e.sizes.minimum;
    if (min > 1 && (r.offset % min != 0 || r.length % min != 0)) {
      return fail("not aligned to the minimum block size", EINVAL);
    }
  }
  return 0;
}

bool Connection::acquire(size_t bytes) {
  std::unique_lock lock(mu_);
  const ServerOptions& o = ctx_.options;
  room_cv_.wait(lock, [&] {
    return broken_ || in_flight_ == 0 ||
           (in_flight_ < o.max_in_flight && in_flight_bytes_ + bytes <= o.max_in_flight_bytes);
  });
  if (broken_) return false;
  ++in_flight_;
  in_flight_bytes_ += bytes;
  ctx_.counters.in_flight.fetch_add(1);
  return true;
}

void Connection::complete(Pending* p) {
  // Notify under the lock: once the writer has sent the last reply, serve() may return and
  // the connection be destroyed, so the condition variable must not be touched after unlock.
  std::unique_lock lock(mu_);
  if (std::this_thread::get_id() == reader_ && !sending_ && replies_.empty() && !broken_) {
    reply_now(p, lock);
    return;
  }
  replies_.push_back(p);
  if (!sending_) writer_cv_.notify_one();
}

void Connection::reply_now(Pending* p, std::unique_lock<std::mutex>& lock) {
  sending_ = true;
  lock.unlock();
  ReplyParts parts;
  add_reply(*p, parts);
  size_t total = 0;
  for (ByteSpan b : parts.spans) total += b.size();
  const ptrdiff_t sent = send_now(fd_, parts.spans);
  lock.lock();
  sending_ = false;
  if (sent >= 0 && static_cast<size_t>(sent) < total) {
    // The client is not reading fast enough: the writer finishes this reply before any other,
    // and this thread goes back to reading requests.
    p->sent = static_cast<size_t>(sent);
    replies_.push_front(p);
    writer_cv_.notify_one();
    return;
  }
  if (p->error != 0) ctx_.counters.error_replies.fetch_add(1);
  const size_t bytes = p->bytes;
  delete p;
  replies_done(1, bytes, sent >= 0);
  if (!replies_.empty()) writer_cv_.notify_one();
}

void Connection::replies_done(size_t n, size_t bytes, bool ok) {
  if (!ok && !broken_) {
    // The client is gone or stuck: stop the reader too; later replies are dropped.
    broken_ = true;
    hard_disconnect();
    ::shutdown(fd_, SHUT_RDWR);
  }
  in_flight_ -= n;
  in_flight_bytes_ -= bytes;
  ctx_.counters.in_flight.fetch_sub(n);
  room_cv_.notify_all();
}

void Connection::transmission(const Session& s) {
  structured_ = s.structured;
  reader_ = std::this_thread::get_id();
  try {
    writer_ = std::thread([this] { writer_loop(); });
  } catch (const std::system_error&) {
    hard_disconnect();  // out of threads: end the session rather than the process
    return;
  }
  const uint64_t absurd =
      std::max<uint64_t>(uint64_t{2} * s.entry->sizes.maximum, uint64_t{64} << 20);
  uint8_t header[kRequestSize];
  while (read_full(fd_, header, sizeof(header))) {
    std::optional<Request> req = decode_request(header);
    if (!req) {
      hard_disconnect();
      break;
    }
    if (req->type == kCmdDisc) break;
    const bool has_payload = req->type == kCmdWrite;
    if (has_payload && req->length > absurd) {
      hard_disconnect();  // not worth reading: a client this wrong is not worth serving
      break;
    }
    const char* why = nullptr;
    int err = check(s, *req, &why);
    size_t bytes = (err == 0 && (req->type == kCmdRead || has_payload)) ? req->length : 0;
    if (!acquire(bytes)) break;
    auto p = std::make_unique<Pending>();
    p->req = *req;
    p->bytes = bytes;
    if (has_payload) {
      bool ok;
      if (err == 0) p->buf = allocate(req->length, &err, &why);
      if (err == 0) {
        ok = read_full(fd_, p->buf.get(), req->length);
      } else {
        ok = discard(fd_, req->length);
      }
      if (!ok) {  // the client went away mid-payload: nothing to do for this request
        std::lock_guard lock(mu_);
        --in_flight_;
        in_flight_bytes_ -= bytes;
        ctx_.counters.in_flight.fetch_sub(1);
        break;
      }
    }
    if (err != 0) {
      p->error = err;
      p->why = why;
      complete(p.release());
      continue;
    }
    dispatch(s, std::move(p));
  }
  // Every request handed out completes (and its reply is written or dropped) before the
  // connection's memory goes away.
  {
    std::unique_lock lock(mu_);
    room_cv_.wait(lock, [&] { return in_flight_ == 0; });
    writer_stop_ = true;
  }
  writer_cv_.notify_one();
  writer_.join();
}

void Connection::dispatch(const Session& s, std::unique_ptr<Pending> owned) {
  Export& exp = *s.entry->exp;
  Pending* p = owned.release();  // owned by the reply queue from here on
  const Request& r = p->req;
  const bool fua = r.flags & kCmdFlagFua;
  auto done = [this, p](int err) {
    p->error = err;
    complete(p);
  };
  ServerCounters& c = ctx_.counters;
  switch (r.type) {
    case kCmdRead:
      c.reads.fetch_add(1);
      c.bytes_read.fetch_add(r.length);
      p->buf = allocate(kHeaderRoom + r.length, &p->error, &p->why);
      if (!p->buf) {
        complete(p);
        break;
      }
      exp.read(r.offset, MutableByteSpan(p->buf.get() + kHeaderRoom, r.length), done);
      break;
    case kCmdWrite:
      c.writes.fetch_add(1);
      c.bytes_written.fetch_add(r.length);
      exp.write(r.offset, ByteSpan(p->buf.get(), r.length), fua, done);
      break;
    case kCmdFlush:
      c.flushes.fetch_add(1);
      exp.flush(done);
      break;
    case kCmdTrim:
      c.trims.fetch_add(1);
      exp.trim(r.offset, r.length, fua, done);
      break;
    case kCmdWriteZeroes:
      c.write_zeroes.fetch_add(1);
      exp.write_zeroes(r.offset, r.length, fua, !(r.flags & kCmdFlagNoHole), done);
      break;
    case kCmdCache:
      exp.cache(r.offset, r.length, done);
      break;
    case kCmdBlockStatus:
      c.block_status.fetch_add(1);
      exp.block_status(r.offset, r.length, [this, p](int err, std::vector<ExportExtent> x) {
        p->error = err;
        p->extents = std::move(x);
        if (err == 0 && (p->extents.empty() || p->extents.front().length == 0)) {
          p->error = EIO;
          p->why = "export reported no extents";
        }
        complete(p);
      });
      break;
  }
}

// Replies queued while the previous write was in the kernel go out together in one gathered
// write: under deep queues of small requests that saves most of the system calls, and it
// never delays a reply (the writer takes only what is already there).
void Connection::writer_loop() {
  std::vector<std::unique_ptr<Pending>> batch;
  std::unique_lock lock(mu_);
  for (;;) {
    writer_cv_.wait(lock, [&] { return !sending_ && (!replies_.empty() || writer_stop_); });
    if (replies_.empty()) return;  // stop, and nothing left
    size_t payload = 0;
    while (!replies_.empty() && batch.size() < kMaxBatch && payload < kMaxBatchBytes) {
      batch.emplace_back(replies_.front());
      replies_.pop_front();
      payload += batch.back()->bytes;
    }
    const bool broken = broken_;
    sending_ = true;
    lock.unlock();
    ReplyParts parts;
    for (const auto& p : batch) {
      if (p->error != 0) ctx_.counters.error_replies.fetch_add(1);
      if (!broken) add_reply(*p, parts);
    }
    if (!broken) drop_front(parts.spans, batch.front()->sent);  // only the first can have begun
    const bool ok = !broken && send_all(fd_, parts.spans);
    size_t bytes = 0;
    for (const auto& p : batch) bytes += p->bytes;
    const size_t n = batch.size();
    batch.clear();
    lock.lock();
    sending_ = false;
    replies_done(n, bytes, ok);
  }
}

void Connection::add_reply(const Pending& p, ReplyParts& out) {
  const Request& r = p.req;
  if (p.error != 0) {
    uint32_t wire = to_wire_error(p.error);
    if (!structured_) {
      auto h = encode_simple_reply(wire, r.handle);
      out.add(std::vector<uint8_t>(h.begin(), h.end()));
      return;
    }
    std::string_view why = p.why != nullptr ? p.why : std::strerror(p.error);
    std::vector<uint8_t> payload = encode_error_payload(wire, why);
    auto h = encode_structured_header(kReplyFlagDone, kReplyTypeError, r.handle,
                                      static_cast<uint32_t>(payload.size()));
    std::vector<uint8_t> chunk(h.begin(), h.end());
    chunk.insert(chunk.end(), payload.begin(), payload.end());
    out.add(std::move(chunk));
    return;
  }
  switch (r.type) {
    case kCmdRead: {
      // The header is written into the room kept in front of the data: one span.
      uint8_t* data = p.buf.get() + kHeaderRoom;
      if (!structured_) {
        uint8_t* h = data - kSimpleReplySize;
        auto reply = encode_simple_reply(0, r.handle);
        std::memcpy(h, reply.data(), reply.size());
        out.spans.push_back(ByteSpan(h, kSimpleReplySize + r.length));
        return;
      }
      if (r.length == 0) {
        auto h = encode_structured_header(kReplyFlagDone, kReplyTypeNone, r.handle, 0);
        out.add(std::vector<uint8_t>(h.begin(), h.end()));
        return;
      }
      uint8_t* h = data - kStructuredHeaderSize - 8;
      auto chunk =
          encode_structured_header(kReplyFlagDone, kReplyTypeOffsetData, r.handle, 8 + r.length);
      std::memcpy(h, chunk.data(), chunk.size());
      store_u64(data - 8, r.offset);
      out.spans.push_back(ByteSpan(h, kStructuredHeaderSize + 8 + r.length));
      return;
    }
    case kCmdBlockStatus: {
      std::vector<BlockDescriptor> d;
      uint64_t left = r.length;
      for (const ExportExtent& e : p.extents) {
        if (left == 0 || d.size() >= kMaxDescriptors) break;
        auto len = static_cast<uint32_t>(std::min<uint64_t>(e.length, left));
        if (len == 0) break;
        uint32_t flags = (e.hole ? kStateHole : 0) | (e.zero ? kStateZero : 0);
        if (!d.empty() && d.back().flags == flags &&
            d.back().length <= std::numeric_limits<uint32_t>::max() - len) {
          d.back().length += len;
        } else {
          d.push_back({len, flags});
        }
        left -= len;
        if (r.flags & kCmdFlagReqOne) break;
      }
      std::vector<uint8_t> payload = encode_block_status_payload(kBaseAllocationId, d);
      auto h = encode_structured_header(kReplyFlagDone, kReplyTypeBlockStatus, r.handle,
                                        static_cast<uint32_t>(payload.size()));
      std::vector<uint8_t> chunk(h.begin(), h.end());
      chunk.insert(chunk.end(), payload.begin(), payload.end());
      out.add(std::move(chunk));
      return;
    }
    default: {
      auto h = encode_simple_reply(0, r.handle);
      out.add(std::vector<uint8_t>(h.begin(), h.end()));
      return;
    }
  }
}

}  // namespace accz::nbd
