// store/format/map_entry.h — the 8-byte block-map entry (docs/format.md §4): where a logical
// block's data is, whole or as one fragment of a compressed extent (one or more consecutive
// blocks).
//
// Promise: pack/unpack round-trip every entry the format allows; decode_map_entry() rejects
// reserved bits and PBNs wider than 48 bits, so a corrupt entry never becomes an address.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace accz::store {

// The data blocks one map entry holds a reference on, in increasing order (§5).
struct BlockRefs {
  std::array<uint64_t, 3> pbn{};
  uint8_t count = 0;
  const uint64_t* begin() const { return pbn.data(); }
  const uint64_t* end() const { return pbn.data() + count; }
};

struct MapEntry {
  enum class Kind : uint8_t { kUnmapped, kZero, kWhole, kFragment };
  Kind kind = Kind::kUnmapped;
  uint64_t pbn = 0;    // kWhole: the data block; kFragment: the extent's first block
  uint8_t slot = 0;    // kFragment: 0 … 13
  uint8_t extent = 0;  // kFragment: blocks of the extent after `pbn` (0 … 13)
  uint8_t first = 0;   // kFragment: the extent's block (from `pbn`) its bytes start in
  bool spans = false;  // kFragment: its bytes continue into block `first + 1`

  static MapEntry unmapped() { return {}; }
  static MapEntry zero() { return {Kind::kZero}; }
  static MapEntry whole(uint64_t pbn) { return {Kind::kWhole, pbn}; }
  static MapEntry fragment(uint64_t pbn, uint8_t slot, uint8_t extent = 0, uint8_t first = 0,
                           bool spans = false) {
    return {Kind::kFragment, pbn, slot, extent, first, spans};
  }

  // Holds references on data blocks (counted in the refcounts): a whole block's own; for a
  // fragment, the extent's first block (its header) and the blocks holding the fragment's
  // bytes, so an extent's blocks are freed as the fragments in them die, its first last.
  bool references_block() const { return kind == Kind::kWhole || kind == Kind::kFragment; }
  BlockRefs referenced_blocks() const {
    BlockRefs r;
    if (!references_block()) return r;
    r.pbn[r.count++] = pbn;
    if (kind != Kind::kFragment) return r;
    for (uint64_t b = first; b <= uint64_t{first} + spans; ++b) {
      if (b != 0) r.pbn[r.count++] = pbn + b;
    }
    return r;
  }
  // The extent's blocks, [pbn, pbn + blocks()): 1 for a whole block.
  uint64_t blocks() const {
    return kind == Kind::kFragment ? uint64_t{extent} + 1 : references_block() ? 1 : 0;
  }
  bool operator==(const MapEntry&) const = default;
};

// REQUIRES: pbn < 2^48, slot < 14, extent < 14, first + spans ≤ extent (all 0 unless
// kFragment), and kWhole/kFragment have pbn != 0.
uint64_t encode_map_entry(const MapEntry& e);
// nullopt for entries no writer produces.
std::optional<MapEntry> decode_map_entry(uint64_t raw);

}  // namespace accz::store
