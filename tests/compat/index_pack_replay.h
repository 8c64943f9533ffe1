// A replay of how git's index-pack reads a pack from a pipe and inflates each object, to run the
// same bytes through the drop-in and through stock zlib, deterministically.
//
// What index-pack does (builtin/index-pack.c, git 2.39; described here, not copied): the pack
// arrives on stdin into a 4096-byte buffer. fill(min) returns the buffered bytes if there are at
// least `min`, and only otherwise moves them to the front and read()s more -- a pipe read
// returns what the writer has put in, so the pieces are timing-dependent. use(n) drops n bytes.
// Object headers are parsed byte by byte with fill(1)/use(1). unpack_entry_data() inflates an
// object's zlib stream with next_out a buffer of exactly the object's size (or, for blobs over
// core.bigFileThreshold, a reused 8 KiB buffer), and loops:
//     next_in = fill(1); avail_in = input_len; status = inflate(Z_NO_FLUSH); use(consumed);
// while status == Z_OK. Anything but Z_STREAM_END with total_out == size is "pack has bad
// object at offset N: inflate returned S". Note what follows from fill(1): after a call that
// leaves input unconsumed, the next call gets the same bytes and nothing more, so a call that
// consumes nothing and produces nothing (Z_BUF_ERROR) ends the clone.
//
// The pipe here is seeded: each read() returns either everything the "writer" has left (up to
// the free space) or only the rest of the writer's current piece, whose sizes are drawn from a
// mix of tiny, small and large. Every inflate() call is checked against what zlib.h promises
// (Z_OK only with progress; next_/avail_/total_ in step; output equal to the object's bytes),
// and every object must end exactly where its stream ends, with Z_STREAM_END.
//
// Thread safety: a Replay is one thread's; separate Replays may run on separate threads.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dropin_stream_api.h"

namespace index_pack {

using dropin_stream::Api;
using dropin_stream::Bytes;

// The pipe: the pack's bytes handed out by read()s whose sizes a seed decides.
class Pipe {
 public:
  // `cut`, when non-zero, forces a writer's piece to end exactly there (the cut-sweep tests).
  Pipe(const Bytes& data, uint32_t seed, size_t cut = 0) : data_(data), rng_(seed), cut_(cut) {
    next_piece();
  }

  size_t read(Bytef* dst, size_t space) {
    if (pos_ == data_.size() || space == 0) return 0;
    size_t n = std::min(space, data_.size() - pos_);
    // Writer behind: only its current piece is in the pipe.
    if (behind_) n = std::min(n, piece_end_ - pos_);
    if (cut_ > pos_) n = std::min(n, cut_ - pos_);
    std::memcpy(dst, data_.data() + pos_, n);
    pos_ += n;
    if (pos_ >= piece_end_) next_piece();
    return n;
  }

 private:
  void next_piece() {
    const uint32_t pick = rng_() % 8;
    size_t len = pick < 2   ? 1 + rng_() % 8
                 : pick < 4 ? 1 + rng_() % 300
                 : pick < 7 ? 1 + rng_() % 8192
                            : 1 + rng_() % 65536;
    piece_end_ = std::min(data_.size(), pos_ + len);
    behind_ = rng_() % 3 != 0;
  }

  const Bytes& data_;
  std::mt19937 rng_;
  size_t cut_;
  size_t pos_ = 0, piece_end_ = 0;
  bool behind_ = true;
};

// index-pack's input buffer: fill() and use() with its semantics.
class Input {
 public:
  explicit Input(Pipe& pipe) : pipe_(pipe) {}

  // Null when the pipe ends before `min` bytes (a truncated pack).
  const Bytef* fill(size_t min) {
    if (min <= len_) return buf_ + offset_;
    std::memmove(buf_, buf_ + offset_, len_);
    offset_ = 0;
    while (len_ < min) {
      const size_t got = pipe_.read(buf_ + len_, sizeof buf_ - len_);
      if (got == 0) return nullptr;
      len_ += got;
    }
    return buf_;
  }
  void use(size_t n) {
    offset_ += n;
    len_ -= n;
    consumed_ += n;
  }
  size_t len() const { return len_; }
  uint64_t consumed() const { return consumed_; }

 private:
  Pipe& pipe_;
  Bytef buf_[4096];
  size_t offset_ = 0, len_ = 0;
  uint64_t consumed_ = 0;
};

// One inflate() call as the replay saw it.
struct Call {
  int rc;
  uInt in_before, in_after, out_before, out_after;
  uLong total_in, total_out;
};

// What happened to one object; `error` is empty when every check passed.
struct Unpacked {
  int status = Z_OK;
  uLong total_in = 0, total_out = 0;
  uint64_t offset = 0;  // where the object's header starts in the pack
  std::string error;
  std::vector<Call> calls;
};

inline std::string describe(const std::vector<Call>& calls) {
  std::ostringstream o;
  const size_t from = calls.size() > 8 ? calls.size() - 8 : 0;
  for (size_t i = from; i < calls.size(); ++i) {
    const Call& c = calls[i];
    o << "  call " << i << ": rc " << c.rc << " avail_in " << c.in_before << "->" << c.in_after
      << " avail_out " << c.out_before << "->" << c.out_after << " total_in " << c.total_in
      << " total_out " << c.total_out << "\n";
  }
  return o.str();
}

// unpack_entry_data(): inflates one object of `expect.size()` bytes from `input`, checking each
// call. `fixed_buf`: the 8 KiB reused output buffer of big blobs.
inline Unpacked unpack_entry(const Api& api, Input& input, const Bytes& expect, bool fixed_buf) {
  Unpacked u;
  z_stream s{};
  if (api.inflate_init(&s) != Z_OK) {
    u.error = "inflateInit failed";
    return u;
  }
  const size_t size = expect.size();
  Bytes whole(std::max<size_t>(size, 1));
  Bytef fixed[8192];
  Bytef* const base = fixed_buf ? fixed : whole.data();
  s.next_out = base;
  s.avail_out = static_cast<uInt>(fixed_buf ? sizeof fixed : size);
  uLong produced = 0;
  do {
    const Bytef* in = input.fill(1);
    if (in == nullptr) {
      u.error = "the pack ended inside the object";
      break;
    }
    s.next_in = const_cast<Bytef*>(in);
    s.avail_in = static_cast<uInt>(input.len());
    const Bytef* const out_at = s.next_out;
    Call c{Z_OK, s.avail_in, 0, s.avail_out, 0, 0, 0};
    const uLong tin = s.total_in, tout = s.total_out;
    u.status = api.inflate(&s, Z_NO_FLUSH);
    c.rc = u.status;
    c.in_after = s.avail_in;
    c.out_after = s.avail_out;
    c.total_in = s.total_in;
    c.total_out = s.total_out;
    u.calls.push_back(c);
    const uInt used = c.in_before - c.in_after, made = c.out_before - c.out_after;
    if (c.in_after > c.in_before || c.out_after > c.out_before || s.next_in != in + used ||
        s.next_out != out_at + made || s.total_in != tin + used || s.total_out != tout + made) {
      u.error = "next_/avail_/total_ fields out of step";
    } else if (u.status != Z_OK && u.status != Z_STREAM_END) {
      u.error = "inflate returned " + std::to_string(u.status) + " on a valid stream";
    } else if (u.status == Z_OK && used == 0 && made == 0) {
      u.error = "Z_OK without progress";
    } else if (produced + made > size ||
               (made != 0 && std::memcmp(out_at, expect.data() + produced, made) != 0)) {
      u.error = "output differs from the object's bytes";
    }
    produced += made;
    input.use(used);
    if (fixed_buf) {
      s.next_out = base;
      s.avail_out = sizeof fixed;
    }
  } while (u.status == Z_OK && u.error.empty());
  u.total_in = s.total_in;
  u.total_out = s.total_out;
  if (u.error.empty() && (u.status != Z_STREAM_END || s.total_out != size))
    u.error = "inflate returned " + std::to_string(u.status) + " with total_out " +
              std::to_string(s.total_out) + " of " + std::to_string(size);
  api.inflateEnd(&s);
  return u;
}

// A pack entry as the replay needs it: the header fields and the inflated bytes to expect.
struct Entry {
  int type = 3;  // git's: 1 commit, 2 tree, 3 blob, 4 tag, 6 ofs-delta, 7 ref-delta
  Bytes data;    // what the entry's stream inflates to
  Bytes stream;  // the zlib stream
  std::string origin;
};

// A pack: "PACK", version 2, the entry count, each entry's header and stream, and 20 bytes
// standing for the trailing hash (never checked here). Delta entries get a base reference
// (a zero object id, or an offset of 1) that the replay skips like index-pack's parser does.
inline Bytes build_pack(const std::vector<Entry>& entries) {
  Bytes p = {'P', 'A', 'C', 'K', 0, 0, 0, 2};
  const uint32_t n = static_cast<uint32_t>(entries.size());
  for (int shift = 24; shift >= 0; shift -= 8) p.push_back(static_cast<Bytef>(n >> shift));
  for (const Entry& e : entries) {
    size_t size = e.data.size();
    Bytef c = static_cast<Bytef>((e.type << 4) | (size & 15));
    size >>= 4;
    while (size != 0) {
      p.push_back(c | 0x80);
      c = static_cast<Bytef>(size & 0x7f);
      size >>= 7;
    }
    p.push_back(c);
    if (e.type == 7) p.insert(p.end(), 20, 0);
    if (e.type == 6) p.push_back(1);
    p.insert(p.end(), e.stream.begin(), e.stream.end());
  }
  p.insert(p.end(), 20, 0);
  return p;
}

// One header of a pack entry, parsed byte by byte as unpack_raw_entry() does.
struct Header {
  int type = 0;
  size_t size = 0;
  bool ok = false;
};

inline Header read_header(Input& in) {
  Header h;
  const Bytef* p = in.fill(1);
  if (p == nullptr) return h;
  unsigned c = *p;
  in.use(1);
  h.type = (c >> 4) & 7;
  h.size = c & 15;
  unsigned shift = 4;
  while ((c & 0x80) != 0) {
    if ((p = in.fill(1)) == nullptr || shift > 57) return h;
    c = *p;
    in.use(1);
    h.size += static_cast<size_t>(c & 0x7f) << shift;
    shift += 7;
  }
  if (h.type == 7) {
    if (in.fill(20) == nullptr) return h;
    in.use(20);
  } else if (h.type == 6) {
    do {
      if ((p = in.fill(1)) == nullptr) return h;
      c = *p;
      in.use(1);
    } while ((c & 0x80) != 0);
  } else if (h.type < 1 || h.type > 4) {
    return h;
  }
  h.ok = true;
  return h;
}

// parse_pack_objects(): every entry of `pack` through `api`, the bytes coming through a pipe
// seeded with `seed` (and cut at `cut`, when non-zero). `expect` holds each entry's inflated
// bytes; `big` says which use the 8 KiB buffer. Stops at the first entry that fails a check.
inline std::vector<Unpacked> replay(const Api& api, const Bytes& pack,
                                    const std::vector<const Bytes*>& expect,
                                    const std::vector<bool>& big, uint32_t seed, size_t cut = 0) {
  Pipe pipe(pack, seed, cut);
  Input in(pipe);
  std::vector<Unpacked> out;
  if (in.fill(12) == nullptr || std::memcmp(in.fill(12), "PACK", 4) != 0) {
    out.push_back(Unpacked{Z_OK, 0, 0, 0, "no pack header", {}});
    return out;
  }
  in.use(12);
  for (size_t i = 0; i < expect.size(); ++i) {
    const uint64_t offset = in.consumed();
    const Header h = read_header(in);
    if (!h.ok || h.size != expect[i]->size()) {
      out.push_back(Unpacked{Z_OK, 0, 0, offset, "bad entry header", {}});
      return out;
    }
    Unpacked u = unpack_entry(api, in, *expect[i], big[i]);
    u.offset = offset;
    const bool failed = !u.error.empty();
    out.push_back(std::move(u));
    if (failed) break;
  }
  return out;
}

}  // namespace index_pack
