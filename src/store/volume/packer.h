// store/volume/packer.h — bins compressed fragments into 4 KiB compressed blocks of up to 14
// (docs/format.md §8), as VDO's packer does.
//
// Promise:
//   - add() places a fragment in the open bin it fits best (the one it leaves with the least
//     room), opening a new bin if none fits; when every bin is taken and none fits, the
//     fullest bin is written out first. A bin is written out as soon as it holds 14 fragments
//     or no room is left.
//   - Every added fragment comes out exactly once, in one PackedBlock, at the slot the block
//     lists it under; a block holds the fragments' bytes exactly as added. The caller decides
//     which blocks are worth compressing (format §8: a fragment that does not fit a bin, or is
//     not smaller than the engine's threshold, is written whole and never reaches the packer).
//   - flush_all() writes out every bin (a FLUSH request), flush_older_than() the bins whose
//     oldest fragment arrived at or before a deadline (the short timer), so no acknowledged
//     write waits in a bin forever. Time is the caller's clock, in any unit.
//   - Memory: at most `bins` open bins of 4 KiB each.
//
// Thread-safety: not thread-safe; one owner (the thread that receives compression
// completions forwards them to it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "accz/types.h"

namespace accz::store {

struct PackedBlock {
  std::vector<uint8_t> block;     // 4096 bytes: header and fragments (§8)
  std::vector<uint64_t> cookies;  // cookies[slot]: whose fragment is in that slot
};

struct PackerStats {
  uint64_t fragments_packed = 0;
  uint64_t blocks_written = 0;
  uint64_t bytes_packed = 0;  // fragment bytes in written blocks
};

class Packer {
 public:
  // `algorithm`: the volume's on-disk code. bins < 1 is raised to 1.
  Packer(uint8_t algorithm, size_t bins);

  // REQUIRES: 1 ≤ bytes.size() ≤ 4056. Returns the blocks this add made complete (at most two:
  // a bin evicted to make room, and the bin this fragment filled).
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
    size_t used = 0;  // fragment bytes
    uint64_t oldest = 0;
    bool empty() const { return fragments.empty(); }
  };

  PackedBlock seal(Bin& bin);

  const uint8_t algorithm_;
  std::vector<Bin> bins_;
  PackerStats stats_;
};

}  // namespace accz::store
