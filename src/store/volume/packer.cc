#include "store/volume/packer.h"

#include <algorithm>

#include "store/format/compressed_block.h"
#include "store/format/layout.h"

namespace accz::store {

Packer::Packer(uint8_t algorithm, size_t bins)
    : algorithm_(algorithm), bins_(std::max<size_t>(bins, 1)) {}

PackedBlock Packer::seal(Bin& bin) {
  PackedBlock out;
  out.block.resize(kBlockSize);
  std::vector<ByteSpan> spans(bin.fragments.begin(), bin.fragments.end());
  encode_compressed_block(algorithm_, spans, out.block);
  out.cookies = std::move(bin.cookies);
  ++stats_.blocks_written;
  stats_.fragments_packed += bin.fragments.size();
  stats_.bytes_packed += bin.used;
  bin = Bin{};
  return out;
}

std::vector<PackedBlock> Packer::add(uint64_t cookie, ByteSpan bytes, uint64_t now) {
  std::vector<PackedBlock> out;
  auto room = [](const Bin& b) { return kMaxFragmentBytes - b.used; };
  Bin* best = nullptr;
  for (Bin& b : bins_) {
    if (b.empty() || b.fragments.size() >= kMaxFragments || room(b) < bytes.size()) continue;
    if (best == nullptr || room(b) < room(*best)) best = &b;
  }
  if (best == nullptr) {
    auto empty = std::find_if(bins_.begin(), bins_.end(), [](const Bin& b) { return b.empty(); });
    if (empty == bins_.end()) {
      // Every bin is taken and none fits: write out the fullest, whose room is least useful.
      empty = std::min_element(bins_.begin(), bins_.end(),
                               [&](const Bin& a, const Bin& b) { return room(a) < room(b); });
      out.push_back(seal(*empty));
    }
    best = &*empty;
    best->oldest = now;
  }
  best->fragments.emplace_back(bytes.begin(), bytes.end());
  best->cookies.push_back(cookie);
  best->used += bytes.size();
  if (best->fragments.size() == kMaxFragments || room(*best) == 0) out.push_back(seal(*best));
  return out;
}

std::vector<PackedBlock> Packer::flush_all() {
  std::vector<PackedBlock> out;
  for (Bin& b : bins_) {
    if (!b.empty()) out.push_back(seal(b));
  }
  return out;
}

std::vector<PackedBlock> Packer::flush_older_than(uint64_t deadline) {
  std::vector<PackedBlock> out;
  for (Bin& b : bins_) {
    if (!b.empty() && b.oldest <= deadline) out.push_back(seal(b));
  }
  return out;
}

size_t Packer::fragments_waiting() const {
  size_t n = 0;
  for (const Bin& b : bins_) n += b.fragments.size();
  return n;
}

size_t Packer::bins_in_use() const {
  return static_cast<size_t>(
      std::count_if(bins_.begin(), bins_.end(), [](const Bin& b) { return !b.empty(); }));
}

}  // namespace accz::store
