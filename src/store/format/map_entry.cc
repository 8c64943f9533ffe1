#include "store/format/map_entry.h"

#include "store/format/layout.h"

namespace accz::store {
namespace {

constexpr uint64_t kPbnMask = (uint64_t{1} << 48) - 1;
constexpr unsigned kStateShift = 48;
constexpr unsigned kExtentShift = 52;
constexpr unsigned kFirstShift = 56;
constexpr unsigned kSpansShift = 60;
constexpr uint64_t kStateWhole = 1;
constexpr uint64_t kStateFirstFragment = 2;

}  // namespace

uint64_t encode_map_entry(const MapEntry& e) {
  switch (e.kind) {
    case MapEntry::Kind::kUnmapped:
      return 0;
    case MapEntry::Kind::kZero:
      return kStateWhole << kStateShift;  // state 1 at PBN 0
    case MapEntry::Kind::kWhole:
      return (kStateWhole << kStateShift) | (e.pbn & kPbnMask);
    case MapEntry::Kind::kFragment:
      return (uint64_t{e.spans} << kSpansShift) | (uint64_t{e.first} << kFirstShift) |
             (uint64_t{e.extent} << kExtentShift) |
             ((kStateFirstFragment + e.slot) << kStateShift) | (e.pbn & kPbnMask);
  }
  return 0;
}

std::optional<MapEntry> decode_map_entry(uint64_t raw) {
  if ((raw >> 61) != 0) return std::nullopt;  // reserved bits
  const uint64_t state = (raw >> kStateShift) & 0xF;
  const uint64_t extent = (raw >> kExtentShift) & 0xF;
  const uint64_t first = (raw >> kFirstShift) & 0xF;
  const uint64_t spans = (raw >> kSpansShift) & 1;
  if ((raw >> kExtentShift) != 0 && state < kStateFirstFragment) return std::nullopt;
  if (extent >= kMaxExtentBlocks || first + spans > extent) return std::nullopt;
  const uint64_t pbn = raw & kPbnMask;
  if (state == 0) {
    if (pbn != 0) return std::nullopt;
    return MapEntry::unmapped();
  }
  if (state == kStateWhole) return pbn == 0 ? MapEntry::zero() : MapEntry::whole(pbn);
  // A fragment of PBN 0 would be a fragment of the superblock.
  if (pbn == 0) return std::nullopt;
  // The extent must not run past the 48-bit PBN space.
  if (pbn + extent > kPbnMask) return std::nullopt;
  return MapEntry::fragment(pbn, static_cast<uint8_t>(state - kStateFirstFragment),
                            static_cast<uint8_t>(extent), static_cast<uint8_t>(first), spans != 0);
}

static_assert(kMaxFragments == 16 - kStateFirstFragment, "the state nibble holds every slot");
static_assert(kMaxExtentBlocks <= 16, "the extent nibble holds every length");

}  // namespace accz::store
