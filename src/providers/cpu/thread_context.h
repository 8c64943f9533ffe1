// thread_context.h — what one thread keeps between software requests: engine contexts keyed by
// (engine, level, framing) and two bounce buffers for scatter-gather, so that a stream of
// small requests allocates nothing after the first of each shape.
//
// Bounded: at most kMaxContexts contexts per thread (the least recently used goes first), and
// bounce buffers above kKeepBounce bytes are released after the request that needed them.
//
// Thread-safety: none needed; ThreadContext::get() returns the calling thread's own object, and
// pointers it hands out are valid on that thread until the next call into the same context.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "accz/engine.h"
#include "accz/framing.h"

namespace accz {

class Scratch {
 public:
  // A buffer of `n` bytes (contents unspecified), reused across calls.
  MutableByteSpan get(size_t n);
  // Drops the buffer if it grew beyond what is worth keeping for the next request.
  void trim();

 private:
  std::unique_ptr<uint8_t[]> buf_;
  size_t cap_ = 0;
};

class ThreadContext {
 public:
  static constexpr size_t kMaxContexts = 16;
  static constexpr size_t kKeepBounce = size_t{1} << 20;

  static ThreadContext& get();

  // Cached contexts; nullptr if the engine refuses the level or framing. Compressors and
  // decompressors come back in whatever state the last user left them: callers reset().
  Compressor* compressor(const Engine* e, int level, Framing f);
  Decompressor* decompressor(const Engine* e, Framing f);
  // A zlib/gzip unwrapper around the engine's raw deflate decompressor.
  FramedDecompressor* framed_decompressor(const Engine* e, Framing f);

  Scratch src_bounce;
  Scratch dst_bounce;

 private:
  enum class Kind : uint8_t { kCompressor, kDecompressor, kFramedDecompressor };
  struct Entry {
    const Engine* engine = nullptr;
    int level = 0;
    Framing framing = Framing::kRaw;
    Kind kind = Kind::kCompressor;
    uint64_t last_use = 0;
    std::unique_ptr<Compressor> c;
    std::unique_ptr<Decompressor> d;
    std::unique_ptr<FramedDecompressor> fd;
  };

  Entry* find(const Engine* e, int level, Framing f, Kind k);
  // A fresh entry for the key, evicting the least recently used one when full.
  Entry* insert(const Engine* e, int level, Framing f, Kind k);

  std::vector<Entry> entries_;
  uint64_t tick_ = 0;
};

}  // namespace accz
