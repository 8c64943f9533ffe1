#include "store/volume/extent_reader.h"

#include <string>

#include "store/format/layout.h"
#include "store/volume/block_io.h"

namespace accz::store {
namespace {

constexpr uint64_t kOneReadBlocks = 3;

}  // namespace

ExtentReader::ExtentReader(const MapEntry& entry, bool whole)
    : pbn_(entry.pbn),
      extent_(entry.extent),
      whole_(whole),
      data_(new uint8_t[entry.blocks() * kBlockSize]) {}

StoreStatus ExtentReader::load(BackingStore& dev, uint64_t first, uint64_t last) {
  while (first <= last && (loaded_ >> first) & 1) ++first;
  while (last > first && (loaded_ >> last) & 1) --last;
  if (first > last) return StoreStatus::Ok();
  const MutableByteSpan into(data_.get() + first * kBlockSize, (last - first + 1) * kBlockSize);
  StoreStatus s = read_blocks(dev, pbn_ + first, into);
  if (!s.ok()) return s;
  for (uint64_t b = first; b <= last; ++b) loaded_ |= uint32_t{1} << b;
  return StoreStatus::Ok();
}

StoreResult<ByteSpan> ExtentReader::fragment(BackingStore& dev, uint8_t algorithm,
                                             const MapEntry& entry) {
  const uint8_t slot = entry.slot;
  const std::string where = "PBN " + std::to_string(pbn_);
  if (!header_) {
    // The entry says where the fragment lies (checked against the header below). Up to a
    // few blocks into the extent, one read from its start costs less than two (a system call
    // is worth several KiB of copying); further in, the header's sector goes first.
    const uint64_t last = uint64_t{entry.first} + entry.spans;
    StoreStatus s = whole_ ? load(dev, 0, extent_)
                    : last < kOneReadBlocks
                        ? load(dev, 0, last)
                        : dev.read(pbn_ * kBlockSize, {data_.get(), kSectorSize});
    if (!s.ok()) return {s, {}};
    StoreResult<CompressedHeader> h =
        parse_compressed_header({data_.get(), kCompressedHeaderSize}, algorithm);
    if (!h.ok()) return {h.status, {}};
    if (h.value.extent != extent_) {
      return {StoreStatus::Corruption(where + ": the map says an extent of " +
                                      std::to_string(extent_ + 1) + " blocks, its header " +
                                      std::to_string(h.value.blocks())),
              {}};
    }
    header_ = h.value;
  }
  if (slot >= header_->fragment_count) {
    return {
        StoreStatus::Corruption(where + ": fragment " + std::to_string(slot) + " mapped but only " +
                                std::to_string(header_->fragment_count) + " in the extent"),
        {}};
  }
  const uint64_t first = header_->first_block(slot), last = header_->last_block(slot);
  if (first != entry.first || last != uint64_t{entry.first} + entry.spans) {
    return {StoreStatus::Corruption(where + ": fragment " + std::to_string(slot) +
                                    " lies in blocks " + std::to_string(first) + "…" +
                                    std::to_string(last) + " of its extent, not where mapped"),
            {}};
  }
  StoreStatus s = load(dev, first, last);
  if (!s.ok()) return {s, {}};
  return {StoreStatus::Ok(), ByteSpan(data_.get() + header_->offsets[slot], header_->sizes[slot])};
}

}  // namespace accz::store
