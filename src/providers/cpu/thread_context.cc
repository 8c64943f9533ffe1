// Per-thread engine contexts and bounce buffers for the software path.
#include "providers/cpu/thread_context.h"

#include <algorithm>

namespace accz {

MutableByteSpan Scratch::get(size_t n) {
  if (n > cap_) {
    buf_ = std::make_unique_for_overwrite<uint8_t[]>(n);
    cap_ = n;
  }
  return {buf_.get(), n};
}

void Scratch::trim() {
  if (cap_ > ThreadContext::kKeepBounce) {
    buf_.reset();
    cap_ = 0;
  }
}

ThreadContext& ThreadContext::get() {
  thread_local ThreadContext context;
  return context;
}

ThreadContext::Entry* ThreadContext::find(const Engine* e, int level, Framing f, Kind k) {
  // A handful of entries: a linear scan beats hashing, and the hot one is usually first.
  for (Entry& entry : entries_) {
    if (entry.engine == e && entry.level == level && entry.framing == f && entry.kind == k) {
      entry.last_use = ++tick_;
      return &entry;
    }
  }
  return nullptr;
}

ThreadContext::Entry* ThreadContext::insert(const Engine* e, int level, Framing f, Kind k) {
  Entry entry;
  entry.engine = e;
  entry.level = level;
  entry.framing = f;
  entry.kind = k;
  entry.last_use = ++tick_;
  if (entries_.size() >= kMaxContexts) {
    auto oldest =
        std::min_element(entries_.begin(), entries_.end(),
                         [](const Entry& a, const Entry& b) { return a.last_use < b.last_use; });
    *oldest = std::move(entry);
    return &*oldest;
  }
  entries_.push_back(std::move(entry));
  return &entries_.back();
}

Compressor* ThreadContext::compressor(const Engine* e, int level, Framing f) {
  if (Entry* hit = find(e, level, f, Kind::kCompressor)) return hit->c.get();
  auto c = e->compressor(level, f);
  if (c == nullptr) return nullptr;
  Entry* entry = insert(e, level, f, Kind::kCompressor);
  entry->c = std::move(c);
  return entry->c.get();
}

Decompressor* ThreadContext::decompressor(const Engine* e, Framing f) {
  if (Entry* hit = find(e, 0, f, Kind::kDecompressor)) return hit->d.get();
  auto d = e->decompressor(f);
  if (d == nullptr) return nullptr;
  Entry* entry = insert(e, 0, f, Kind::kDecompressor);
  entry->d = std::move(d);
  return entry->d.get();
}

FramedDecompressor* ThreadContext::framed_decompressor(const Engine* e, Framing f) {
  if (Entry* hit = find(e, 0, f, Kind::kFramedDecompressor)) return hit->fd.get();
  auto d = e->decompressor(Framing::kRaw);
  if (d == nullptr) return nullptr;
  Entry* entry = insert(e, 0, f, Kind::kFramedDecompressor);
  entry->fd = std::make_unique<FramedDecompressor>(std::move(d), f);
  return entry->fd.get();
}

}  // namespace accz
