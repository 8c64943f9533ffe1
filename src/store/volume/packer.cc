#include "store/volume/packer.h"

#include <algorithm>

#include "store/format/compressed_block.h"

namespace accz::store {

Packer::Packer(uint8_t algorithm, size_t bins)
    : algorithm_(algorithm), bins_(std::max<size_t>(bins, 1)) {}

uint64_t Packer::unused(const Bin& bin) {
  return extent_capacity(extent_blocks_for(bin.used)) - bin.used;
}

std::optional<uint64_t> Packer::slack_after(const Bin& bin, uint64_t bytes) {
  const uint64_t n = bin.fragments.size();
  if (n >= kMaxFragments) return std::nullopt;
  const uint64_t used = bin.used + bytes;
  const uint64_t slack = extent_capacity(extent_blocks_for(used)) - used;
  if (n == 0 || extent_blocks_for(used) == extent_blocks_for(bin.used)) return slack;
  // A block added for this fragment is worth it only if the slots left can fill it: otherwise
  // the bin as it is wastes less than the bin grown would.
  const uint64_t slots_left = kMaxFragments - n - 1;
  const uint64_t average = used / (n + 1);
  if (slots_left * average < slack) return std::nullopt;
  return slack;
}

bool Packer::complete(const Bin& bin) {
  const uint64_t n = bin.fragments.size();
  if (n >= kMaxFragments) return true;
  if (unused(bin) == 0) return true;
  return !slack_after(bin, (bin.used + n - 1) / n);  // no room for one more of average size
}

PackedBlock Packer::seal(Bin& bin) {
  PackedBlock out;
  out.block.resize(extent_blocks_for(bin.used) * kBlockSize);
  std::vector<ByteSpan> spans(bin.fragments.begin(), bin.fragments.end());
  encode_compressed_block(algorithm_, spans, out.block);
  out.cookies = std::move(bin.cookies);
  ++stats_.extents_written;
  stats_.blocks_written += out.blocks();
  stats_.fragments_packed += bin.fragments.size();
  stats_.bytes_packed += bin.used;
  bin = Bin{};
  return out;
}

std::vector<PackedBlock> Packer::add(uint64_t cookie, ByteSpan bytes, uint64_t now) {
  std::vector<PackedBlock> out;
  Bin* best = nullptr;
  uint64_t best_slack = 0;
  for (Bin& b : bins_) {
    if (b.empty()) continue;
    const std::optional<uint64_t> slack = slack_after(b, bytes.size());
    if (slack && (best == nullptr || *slack < best_slack)) {
      best = &b;
      best_slack = *slack;
    }
  }
  if (best == nullptr) {
    auto empty = std::find_if(bins_.begin(), bins_.end(), [](const Bin& b) { return b.empty(); });
    if (empty == bins_.end()) {
      // Every bin is taken and none takes it: write out the one whose unused space is least.
      empty = std::min_element(bins_.begin(), bins_.end(),
                               [](const Bin& a, const Bin& b) { return unused(a) < unused(b); });
      out.push_back(seal(*empty));
    }
    best = &*empty;
    best->oldest = now;
  }
  best->fragments.emplace_back(bytes.begin(), bytes.end());
  best->cookies.push_back(cookie);
  best->used += bytes.size();
  if (complete(*best)) out.push_back(seal(*best));
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
