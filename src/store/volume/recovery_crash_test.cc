// Model-based crash tests of the journal, the metadata write-back and replay: a random stream
// of remaps (fresh blocks, dedupe onto mapped blocks, fragments, zeros, trims) with commits
// and checkpoints, a power cut at a random write (the rest dropped, kept or torn per 512-byte
// sector), then recovery. The recovered map and counts must equal the model after some prefix
// of the entries that includes every committed one, every mapped block must hold the data
// written for it, and replaying again (or after a crash during replay) changes nothing.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "store/backing/fault_backing.h"
#include "store/backing/memory_backing.h"
#include "store/format/endian.h"
#include "store/format/layout.h"
#include "store/volume/block_io.h"
#include "store/volume/cutoff_backing_for_test.h"
#include "store/volume/journal_writer.h"
#include "store/volume/metadata_updater.h"
#include "store/volume/open_volume.h"
#include "store/volume/replay.h"
#include "store/volume/superblock_io.h"
#include "util/rng.h"

namespace accz::store {
namespace {

constexpr uint64_t kDevBlocks = 512;
constexpr uint64_t kLogical = 400;

struct Model {
  std::vector<MapEntry> map = std::vector<MapEntry>(kLogical);
  std::map<uint64_t, int> counts;  // data PBN -> references

  void apply(const JournalEntry& e) {
    map[e.lbn] = e.new_entry;
    if (e.new_entry.references_block()) ++counts[e.new_entry.pbn];
    if (e.old_entry.references_block() && --counts[e.old_entry.pbn] == 0) {
      counts.erase(e.old_entry.pbn);
    }
  }
  int count(uint64_t pbn) const {
    auto it = counts.find(pbn);
    return it == counts.end() ? 0 : it->second;
  }
  bool operator==(const Model&) const = default;
};

std::vector<uint8_t> tagged_block(uint64_t tag) {
  std::vector<uint8_t> b(kBlockSize);
  for (size_t i = 0; i < b.size(); i += 8) le::store64(b.data() + i, tag ^ i);
  return b;
}

Model read_state(BackingStore& dev, const Superblock& sb) {
  MetadataUpdater r(dev, sb);
  Model m;
  for (uint64_t l = 0; l < kLogical; ++l) {
    auto e = r.map_entry(l);
    EXPECT_TRUE(e.ok()) << e.status.to_string();
    m.map[l] = e.value;
  }
  for (uint64_t p = 0; p < sb.geometry.data_blocks; ++p) {
    auto c = r.refcount(sb.geometry.data_start + p);
    EXPECT_TRUE(c.ok());
    if (c.value != 0) m.counts[sb.geometry.data_start + p] = c.value;
  }
  return m;
}

// One session of random work on an opened volume, until `ops` are done or the device stops.
class Session {
 public:
  Session(CutoffBacking& dev, const Superblock& sb, uint64_t first_seq, const Model& start,
          std::map<uint64_t, uint64_t>& tags, Rng& rng)
      : dev_(dev), sb_(sb), jw_(dev, sb, first_seq), up_(dev, sb), tags_(tags), rng_(rng) {
    appended_ = committed_ = start;
  }

  void run(int ops) {
    for (int i = 0; i < ops && !dev_.cut(); ++i) {
      const uint32_t r = rng_.below(100);
      if (r < 70) {
        append_random();
      } else if (r < 92) {
        commit();
      } else {
        commit();
        checkpoint();
      }
    }
  }

  // The entries of this session, in order, and how many are known committed.
  const std::vector<JournalEntry>& entries() const { return entries_; }
  size_t committed_count() const { return committed_n_; }
  // Entries handed to a commit; no others can have reached the journal.
  size_t submitted_count() const { return submitted_n_; }

 private:
  void append_random() {
    const uint64_t lbn = rng_.below(kLogical);
    JournalEntry e{lbn, MapEntry::unmapped(), appended_.map[lbn]};
    const uint32_t kind = rng_.below(100);
    const uint64_t pbn = pick_block(kind < 40);
    if (kind < 10) {
      e.new_entry = MapEntry::zero();
    } else if (kind < 30 || pbn == 0) {
      e.new_entry = MapEntry::unmapped();
    } else if (kind < 75) {
      e.new_entry = MapEntry::whole(pbn);
    } else {
      e.new_entry = MapEntry::fragment(pbn, static_cast<uint8_t>(rng_.below(kMaxFragments)));
    }
    if (e.new_entry.references_block() && appended_.count(pbn) == 0) {
      // A fresh block: its data goes down before the entry that maps it (W1 is the
      // journal's job: this write is not flushed here).
      const uint64_t tag = rng_.next();
      ASSERT_TRUE(write_block(dev_, pbn, tagged_block(tag)).ok());
      tags_[pbn] = tag;
    }
    auto p = jw_.append(e);
    if (p.status.code() == StoreErrc::kNoSpace) {
      commit();
      checkpoint();
      if (dev_.cut()) return;
      p = jw_.append(e);
    }
    ASSERT_TRUE(p.ok()) << p.status.to_string();
    entries_.push_back(e);
    points_.push_back(p.value);
    appended_.apply(e);
    for (const MapEntry* m : {&e.new_entry, &e.old_entry}) {
      if (m->references_block()) touched_.insert(m->pbn);
    }
  }

  // A block to map: with `dedupe`, one already mapped (below the limit); otherwise a free one
  // whose last free is committed (W5). 0 if there is none.
  uint64_t pick_block(bool dedupe) {
    const Geometry& g = sb_.geometry;
    for (int tries = 0; tries < 20; ++tries) {
      const uint64_t pbn = g.data_start + rng_.below(static_cast<uint32_t>(g.data_blocks));
      const int c = appended_.count(pbn);
      if (dedupe && c > 0 && c < kRefcountLimit) return pbn;
      if (!dedupe && c == 0 && committed_.count(pbn) == 0 && !touched_.contains(pbn)) return pbn;
    }
    return 0;
  }

  void commit() {
    submitted_n_ = entries_.size();
    StoreStatus s = jw_.commit();
    ASSERT_TRUE(s.ok()) << s.to_string();
    // After the cut the commit's writes or its final flush were discarded.
    if (dev_.cut()) return;
    for (size_t i = committed_n_; i < entries_.size(); ++i) committed_.apply(entries_[i]);
    committed_n_ = entries_.size();
    touched_.clear();
  }

  // Writes back everything committed and moves the head past it (W3).
  void checkpoint() {
    if (dev_.cut()) return;
    for (; applied_n_ < committed_n_; ++applied_n_) {
      ASSERT_TRUE(up_.apply(entries_[applied_n_], points_[applied_n_]).ok());
    }
    ASSERT_TRUE(up_.write_back().ok());
    if (dev_.cut()) return;
    jw_.advance_head(jw_.next_sequence());
    up_.release_clean();
  }

  CutoffBacking& dev_;
  const Superblock& sb_;
  JournalWriter jw_;
  MetadataUpdater up_;
  std::map<uint64_t, uint64_t>& tags_;
  Rng& rng_;
  Model appended_, committed_;
  std::vector<JournalEntry> entries_;
  std::vector<uint64_t> points_;
  size_t committed_n_ = 0;
  size_t submitted_n_ = 0;
  size_t applied_n_ = 0;
  std::set<uint64_t> touched_;  // blocks named by uncommitted entries
};

// How often the sweep reached the interesting cases, so that it provably tests them.
struct Coverage {
  int cut_mid_session = 0;
  int recovered_uncommitted = 0;  // a crash kept entries whose commit had not returned
};

void run_seed(uint64_t seed, Coverage& coverage) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  Rng rng(seed);
  auto base = std::make_shared<MemoryBacking>(kDevBlocks * kBlockSize);
  FaultBacking fault(base, seed);
  CutoffBacking dev(fault);
  CreateOptions o;
  o.logical_blocks = kLogical;
  o.journal_blocks = 16;
  o.nonce = seed;
  ASSERT_TRUE(create_volume(dev, o).ok());
  Model model;  // the recovered state of the previous cycle
  std::map<uint64_t, uint64_t> tags;
  for (int cycle = 0; cycle < 3; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    auto v = open_volume(dev);
    ASSERT_TRUE(v.ok()) << v.status.to_string();
    ASSERT_EQ(read_state(dev, v.value.sb), model);
    dev.cut_after(rng.below(700));
    Session session(dev, v.value.sb, v.value.first_sequence, model, tags, rng);
    session.run(400);
    coverage.cut_mid_session += dev.cut();
    const uint32_t keep = rng.below(kPpmAlways / 2), tear = rng.below(kPpmAlways / 2);
    dev.never_cut();
    fault.crash({.keep_ppm = keep, .tear_ppm = tear});

    // Sometimes crash again in the middle of recovery first.
    if (rng.below(2) == 0) {
      dev.cut_after(rng.below(10));
      (void)open_volume(dev);
      dev.never_cut();
      fault.crash({.keep_ppm = keep, .tear_ppm = tear});
    }
    auto sb = load_superblock(dev);
    ASSERT_TRUE(sb.ok()) << sb.status.to_string();
    ASSERT_EQ(sb.value.state, VolumeState::kDirty);
    ASSERT_TRUE(replay_journal(dev, sb.value).ok());
    ASSERT_TRUE(dev.flush().ok());
    const Model got = read_state(dev, sb.value);
    // Replaying again changes nothing on the device.
    const auto image = base->snapshot();
    ASSERT_TRUE(replay_journal(dev, sb.value).ok());
    ASSERT_TRUE(dev.flush().ok());
    ASSERT_EQ(base->snapshot(), image);

    Model prefix = model;
    const auto& entries = session.entries();
    for (size_t i = 0; i < session.committed_count(); ++i) prefix.apply(entries[i]);
    bool matched = prefix == got;
    for (size_t i = session.committed_count(); !matched && i < session.submitted_count(); ++i) {
      prefix.apply(entries[i]);
      matched = prefix == got;
      if (matched) ++coverage.recovered_uncommitted;
    }
    ASSERT_TRUE(matched) << "recovered state is no prefix of the entries that includes all "
                         << session.committed_count() << " committed of " << entries.size();
    for (const auto& [pbn, count] : got.counts) {
      std::vector<uint8_t> b(kBlockSize);
      ASSERT_TRUE(read_block(dev, pbn, b).ok());
      ASSERT_EQ(b, tagged_block(tags.at(pbn))) << "data of mapped PBN " << pbn;
    }
    model = got;
  }
}

TEST(RecoveryCrash, RandomCrashesRecoverToACommittedPrefix) {
  Coverage coverage;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    run_seed(seed, coverage);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(coverage.cut_mid_session, 50);
  EXPECT_GT(coverage.recovered_uncommitted, 0);
}

}  // namespace
}  // namespace accz::store
