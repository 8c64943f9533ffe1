// store/volume/packer.h — bins compressed fragments into compressed extents of up to 14
// fragments over 1 … 14 consecutive blocks (docs/format.md §8), as VDO's packer bins them into
// single blocks.
//
// Promise:
//   - A bin's extent grows a block at a time: a fragment may cross a block boundary, so two
//     fragments just over half a block (what a block half of random bytes compresses to) share
//     three blocks with a third instead of taking two blocks each.
//   - add() places a fragment in the open bin it fits best: the one left with the least unused
//     space in its last block. A bin takes a fragment that needs one more block only when the
//     slots it has left, at the bin's average fragment size, can fill that block; a bin that
//     could take no more fragments of its average size on those terms, holds 14 fragments or
//     has no room left is written out at once. When every bin is taken and none takes the
//     fragment, the bin with the least unused space is written out first.
//   - Every added fragment comes out exactly once, in one PackedBlock, at the slot the extent
//     lists it under; an extent holds the fragments' bytes exactly as added. The caller decides
//     which blocks are worth compressing (a fragment over 4056 bytes, or not smaller than the
//     engine's threshold, is written whole and never reaches the packer), where the extent goes
//     and whether it saves anything (an extent of as many blocks as fragments does not).
//   - flush_all() writes out every bin (a FLUSH request), flush_older_than() the bins whose
//     oldest fragment arrived at or before a deadline (the short timer), so no acknowledged
//     write waits in a bin forever. Time is the caller's clock, in any unit.
//   - Memory: at most `bins` open bins of at most 14 fragments of at most 4056 bytes each.
//
// Thread-safety: not thread-safe; one owner (the thread that receives compression
// completions forwards them to it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "accz/types.h"
#include "store/format/layout.h"

namespace accz::store {

struct PackedBlock {
  std::vector<uint8_t> block;     // blocks() × 4096 bytes: header and fragments (§8)
  std::vector<uint64_t> cookies;  // cookies[slot]: whose fragment is in that slot
  uint64_t blocks() const { return block.size() / kBlockSize; }
};

struct PackerStats {
  uint64_t fragments_packed = 0;
  uint64_t extents_written = 0;
  uint64_t blocks_written = 0;  // blocks of the written extents
  uint64_t bytes_packed = 0;    // fragment bytes in written extents
};

class Packer {
 public:
  // `algorithm`: the volume's on-disk code. bins < 1 is raised to 1.
  Packer(uint8_t algorithm, size_t bins);

  // REQUIRES: 1 ≤ bytes.size() ≤ 4056. Returns the extents this add made complete (at most
  // two: a bin written out to make room, and the bin this fragment completed).
  std::vector<PackedBlock> add(uint64_t cookie, ByteSpan bytes, uint64_t now);

  std::vector<PackedBlock> flush_all();
  std::vector<PackedBlock> flush_older_than(uint64_t deadline);

  size_t fragments_waiting() const;
  size_t bins_in_use() const;
  const PackerStats& stats() const { return stats_; }

 private:
  struct Bin {
    std::vector<std::vector<uint8_t>> fragments;
    std::vector<uint64_t> cookies;
    uint64_t used = 0;  // fragment bytes
    uint64_t oldest = 0;
    bool empty() const { return fragments.empty(); }
  };

  // The unused bytes of the bin's last block if it took `bytes` more; nullopt if it would not
  // take them (full, or the block they would add could not be filled).
  static std::optional<uint64_t> slack_after(const Bin& bin, uint64_t bytes);
  // The unused bytes at the end of the bin's last block.
  static uint64_t unused(const Bin& bin);
  static bool complete(const Bin& bin);
  PackedBlock seal(Bin& bin);

  const uint8_t algorithm_;
  std::vector<Bin> bins_;
  PackerStats stats_;
};

}  // namespace accz::store
