// store/format/map_entry.h — the 8-byte block-map entry (docs/format.md §4): where a logical
// block's data is, whole or as one fragment of a compressed block.
//
// Promise: pack/unpack round-trip every entry the format allows; decode_map_entry() rejects
// reserved bits and PBNs wider than 48 bits, so a corrupt entry never becomes an address.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>

namespace accz::store {

struct MapEntry {
  enum class Kind : uint8_t { kUnmapped, kZero, kWhole, kFragment };
  Kind kind = Kind::kUnmapped;
  uint64_t pbn = 0;  // kWhole, kFragment: the data block
  uint8_t slot = 0;  // kFragment: 0 … 13

  static MapEntry unmapped() { return {}; }
  static MapEntry zero() { return {Kind::kZero, 0, 0}; }
  static MapEntry whole(uint64_t pbn) { return {Kind::kWhole, pbn, 0}; }
  static MapEntry fragment(uint64_t pbn, uint8_t slot) { return {Kind::kFragment, pbn, slot}; }

  // Holds a reference on a data block (counted in the refcounts).
  bool references_block() const { return kind == Kind::kWhole || kind == Kind::kFragment; }
  bool operator==(const MapEntry&) const = default;
};

// REQUIRES: pbn < 2^48, slot < 14, and kWhole/kFragment have pbn != 0.
uint64_t encode_map_entry(const MapEntry& e);
// nullopt for entries no version-1 writer produces.
std::optional<MapEntry> decode_map_entry(uint64_t raw);

}  // namespace accz::store
