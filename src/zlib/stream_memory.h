// What makes a z_stream the drop-in's own, and the memory its engine paths use.
//
// A stream served by an engine has strm->state pointing at a drop-in object that begins with
// a StreamHead: self == the object, magic says which kind (deflate or inflate), strm == the
// stream. zlib's own states begin with their stream pointer, which never equals the state's
// own address, so the O(1) check in owned_state() cannot take a zlib state for ours; and a
// deflate wrapper handed to inflate() (or the reverse) fails the magic and goes to the real
// zlib, which rejects it as zlib would (its state->strm check fails).
//
// Every allocation uses the stream's zalloc/zfree (the program's malloc when the caller left
// them unset, host_alloc.h), as zlib's own state memory does.
//
// Thread safety: a stream is used by one thread at a time (zlib's contract); nothing here is
// shared between streams.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "zlib/zlib_api.h"

namespace accz::zlib {

inline constexpr uint64_t kDeflateMagic = 0x6163637a'64656631;  // "acczdef1"
inline constexpr uint64_t kInflateMagic = 0x6163637a'696e6631;  // "acczinf1"

struct StreamHead {
  const void* self;
  uint64_t magic;
  z_streamp strm;
};

// The drop-in object of kind magic that strm's state is, or nullptr (the state is zlib's, or
// absent).
template <typename T>
T* owned_state(z_streamp strm, uint64_t magic) {
  if (strm == Z_NULL || strm->state == Z_NULL) return nullptr;
  const auto* head = reinterpret_cast<const StreamHead*>(strm->state);
  if (head->self != head || head->magic != magic || head->strm != strm) return nullptr;
  return reinterpret_cast<T*>(strm->state);
}

// The allocator a stream's drop-in memory comes from (the stream's own, captured at *Init*).
struct StreamAlloc {
  alloc_func zalloc = Z_NULL;
  free_func zfree = Z_NULL;
  voidpf opaque = Z_NULL;

  void* allocate(size_t n) const {
    if (n == 0 || n > UINT_MAX) return nullptr;
    return zalloc(opaque, static_cast<uInt>(n), 1);
  }
  void release(void* p) const {
    if (p != nullptr) zfree(opaque, p);
  }
};

// A growable byte buffer in a stream's memory.
struct ByteBuffer {
  Bytef* data = nullptr;
  size_t len = 0;
  size_t cap = 0;

  // Room for at least n more bytes; false when the allocator refuses (contents unchanged).
  bool reserve_more(const StreamAlloc& a, size_t n) {
    if (cap - len >= n) return true;
    size_t want = cap < 65536 ? 65536 : cap;
    while (want - len < n) {
      if (want > SIZE_MAX / 2) return false;
      want *= 2;
    }
    auto* grown = static_cast<Bytef*>(a.allocate(want));
    if (grown == nullptr) return false;
    if (len != 0) std::memcpy(grown, data, len);
    a.release(data);
    data = grown;
    cap = want;
    return true;
  }
  bool append(const StreamAlloc& a, const Bytef* p, size_t n) {
    if (n == 0) return true;
    if (!reserve_more(a, n)) return false;
    std::memcpy(data + len, p, n);
    len += n;
    return true;
  }
  void free(const StreamAlloc& a) {
    a.release(data);
    data = nullptr;
    len = cap = 0;
  }
  // A deep copy into other (which must be empty); false when the allocator refuses.
  bool copy_to(const StreamAlloc& a, ByteBuffer& other) const {
    if (cap == 0) return true;
    other.data = static_cast<Bytef*>(a.allocate(cap));
    if (other.data == nullptr) return false;
    std::memcpy(other.data, data, len);
    other.len = len;
    other.cap = cap;
    return true;
  }
};

}  // namespace accz::zlib
