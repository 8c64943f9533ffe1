// store/format/endian.h — little-endian loads and stores for the on-disk format, which is
// little-endian on every host (docs/format.md §1).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace accz::store::le {

template <class T>
inline T load(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<T>(p[i]) << (8 * i));
  return v;
}

template <class T>
inline void store(uint8_t* p, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

inline uint16_t load16(const uint8_t* p) { return load<uint16_t>(p); }
inline uint32_t load32(const uint8_t* p) { return load<uint32_t>(p); }
inline uint64_t load64(const uint8_t* p) { return load<uint64_t>(p); }
inline void store16(uint8_t* p, uint16_t v) { store(p, v); }
inline void store32(uint8_t* p, uint32_t v) { store(p, v); }
inline void store64(uint8_t* p, uint64_t v) { store(p, v); }

}  // namespace accz::store::le
