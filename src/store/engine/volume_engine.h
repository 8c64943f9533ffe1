// store/engine/volume_engine.h — the implementation behind Volume (volume.h): one engine
// thread owns the metadata, the dedup index and the packer; callers hash and check for zeros
// on their own threads; compression and decompression run asynchronously on the Accel's
// devices, whose completions come back through the engine's queue.
//
// Promise (beyond volume.h):
//   - Requests are processed in the order they were queued (their sequence number), so the
//     last-issued of overlapping writes ends up mapped, whatever order their compressions
//     finish in: a block is remapped only if no later write of its LBN was remapped first.
//   - A write whose blocks go to the packer is acknowledged once every block is binned; each
//     binned block keeps the block of space its write was promised until its extent is
//     written, and an extent never takes more blocks than it has fragments (it is written
//     whole otherwise), so a later seal cannot run out of space.
//     If writing a sealed block fails, its acknowledged fragments are lost like writes in a
//     disk's volatile cache: the next flush (or FUA write) reports kIoError.
//   - A duplicate of a block still in flight follows it (at most 64 per block) and is mapped
//     to wherever that block lands, since the index learns a block only once it is mapped.
//   - Memory: the in-flight blocks (at most max_in_flight blocks, plus what the packer holds
//     and their capped followers), the map cache, the dedup index and the refcounts (one byte
//     per data block); nothing per logical block.
//
// Thread-safety: as Volume. Internally: the queue, the admission counter and the stats
// snapshot each have their own mutex; everything else belongs to the engine thread, except
// read completions, which touch only their own request and atomics, and reads served on the
// caller's thread:
//   - The engine thread holds gate_ exclusively for each turn of its loop (from handling a
//     batch of events to publishing stats or closing), so every change to the in-flight
//     records, the metadata (map cache, reference counts), the packer and the data blocks
//     happens under it.
//   - read() takes gate_ shared (waiting at most for the engine's current turn, which a
//     queued read would wait for too; it does not try while the engine is waiting for the
//     gate, so a stream of readers cannot starve the engine, nor on the engine's own thread)
//     and does what the engine's start_read does, read-only: the newest
//     in-flight copy of each block, else its map entry from a cached page (peek: no I/O, no
//     change to the cache), then the data blocks, read into the caller's buffer (whole) or
//     its own (compressed). It drops the gate before sending the fragments to the Accel
//     (one batch; they complete on device threads, except that a read of one or two
//     fragments marks them inline_ok, so the software device expands them on the caller's
//     thread rather than pay two hand-offs for 4 KiB). A page not cached,
//     or an engine waiting for the gate, sends the request to the engine as before.
//   - Holding the shared gate from the lookup through the read of the data block is what
//     makes this safe: a block is freed and handed out again (allocate, release, remap) only
//     under the exclusive gate, so the block an entry names cannot be rewritten with other
//     contents between the lookup and the read; and a BlockWork is deleted only under it, so
//     an in-flight copy stays readable while it is copied.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/engine/volume.h"
#include "store/volume/block_codec.h"
#include "store/volume/dedup_index.h"
#include "store/volume/extent_reader.h"
#include "store/volume/packer.h"
#include "store/volume/volume_metadata.h"

namespace accz::store {

class VolumeEngine final : public Volume {
 public:
  static StoreResult<std::unique_ptr<Volume>> open(BackingStore& dev, const VolumeOptions& options);
  ~VolumeEngine() override;

  void read(uint64_t offset, MutableByteSpan out, VolumeCallback done) override;
  void write(uint64_t offset, ByteSpan data, bool fua, VolumeCallback done) override;
  void trim(uint64_t offset, uint64_t length, bool fua, VolumeCallback done) override;
  void write_zeroes(uint64_t offset, uint64_t length, bool fua, VolumeCallback done) override;
  void flush(VolumeCallback done) override;
  StoreResult<std::vector<VolumeExtent>> extents(uint64_t offset, uint64_t length) override;
  VolumeStats stats() const override;
  const Superblock& superblock() const override { return sb_; }
  StoreStatus close() override;

 private:
  enum class OpKind : uint8_t { kRead, kWrite, kTrim, kZeroes, kFlush, kExtents };

  struct Op;

  // One 4 KiB block of a write, from its queueing until it is mapped (or fails).
  struct BlockWork {
    VolumeEngine* engine = nullptr;
    Op* op = nullptr;  // nullptr once acknowledged
    uint64_t lbn = 0;
    uint64_t seq = 0;
    BlockHash hash;
    bool zero = false;
    // Holds one block of reserved_ from admission until it has its space (or needs none).
    bool reserved = false;
    // Leader: the first in-flight block with these contents, in leaders_. Followers: later
    // blocks with the same bytes, mapped to wherever the leader's data lands.
    bool leader = false;
    std::vector<BlockWork*> followers;
    std::vector<uint8_t> data;  // kBlockSize
    CompressionJob job;
  };

  struct HashOf {
    size_t operator()(const BlockHash& h) const { return static_cast<size_t>(h.low); }
  };

  // One client request.
  struct Op {
    OpKind kind = OpKind::kRead;
    uint64_t seq = 0;
    uint64_t lbn = 0;
    uint64_t blocks = 0;
    bool fua = false;
    size_t units = 0;  // admission units held
    VolumeCallback done;
    MutableByteSpan out;                           // kRead
    std::vector<std::unique_ptr<BlockWork>> work;  // kWrite, handed to the engine
    std::vector<VolumeExtent>* extents = nullptr;  // kExtents
    // Parts not yet finished; the op completes when it reaches 0.
    std::atomic<uint64_t> pending{0};
    std::atomic<uint8_t> error{0};  // StoreErrc of the first failure
    std::mutex error_mu;
    std::string error_message;
  };

  // What a read found in flight and in the map: zeros, in-flight copies and whole blocks are
  // already in the caller's buffer; fragments wait in the compressed extents read for them.
  struct ReadPlan {
    struct Fragment {
      std::shared_ptr<ExtentReader> extent;  // holds `src`
      ByteSpan src;
      MutableByteSpan dst;
    };
    std::vector<Fragment> fragments;
    uint64_t map_hits = 0;  // entries found by peek
  };

  // A fragment being expanded for a read.
  struct ReadFragment {
    VolumeEngine* engine = nullptr;
    Op* op = nullptr;
    std::shared_ptr<ExtentReader> extent;  // the compressed bytes, shared by its slots
    Request req;
    std::array<ByteSpan, 1> src;
    std::array<MutableByteSpan, 1> dst;
  };

  // What is in flight for one LBN: blocks not yet mapped, and the newest request mapped.
  struct LbnRecord {
    std::map<uint64_t, BlockWork*> pending;  // by sequence
    uint64_t mapped_seq = 0;
    bool mapped_data = false;  // the map entry now references a data block
    int delta = 0;             // this record's share of visible_delta_
  };

  struct Event {
    enum class Type : uint8_t { kOp, kCompressed, kClose } type;
    Op* op = nullptr;
    BlockWork* work = nullptr;
  };

  VolumeEngine(BackingStore& dev, const VolumeOptions& options, Accel* accel,
               std::unique_ptr<Accel> owned_accel, std::unique_ptr<VolumeMetadata> meta);

  // --- caller side ---
  // Range check; on failure completes `done` inline and returns false.
  bool check_range(uint64_t offset, uint64_t length, const VolumeCallback& done) const;
  // A new request, its admission units taken (blocking while too much is in flight).
  Op* new_op(OpKind kind, uint64_t offset, uint64_t length, bool fua, VolumeCallback done);
  // trim() and write_zeroes(): the same checks, a different map target.
  void unmap(OpKind kind, uint64_t offset, uint64_t length, bool fua, VolumeCallback done);
  // Serves a read on the calling thread (see Thread-safety above); false when it must go to
  // the engine, with nothing completed.
  bool read_here(Op* op);
  void admit(size_t units);
  void release_units(size_t units);
  void enqueue_op(Op* op);
  void post(Event e);

  // --- engine thread ---
  void run();
  void handle(const Event& e);
  void on_timer();
  void publish_stats();
  void start_write(Op* op);
  void start_read(Op* op);
  // Fills `plan` for `op`: in-flight copies, zeros and whole blocks straight into op->out,
  // the blocks of compressed extents each read once. `peek_only` (caller's thread, gate_ held
  // shared): the map is read through its cache alone, and a page not cached returns false at once.
  // A failure fails `op` and ends the plan (true).
  bool gather_read(Op* op, bool peek_only, ReadPlan& plan);
  // The plan's fragments, ready to expand (nothing when `op` failed).
  std::vector<ReadFragment*> fragments_of(Op* op, const ReadPlan& plan);
  void start_unmap(Op* op);
  void start_flush(Op* op);
  void start_extents(Op* op);
  void process_block(BlockWork* b);
  bool try_dedupe(BlockWork* b);
  StoreStatus read_data_block(const MapEntry& e, MutableByteSpan out);
  // Queues the block's compression; submit_compressions() sends the queue to the Accel.
  void submit_compression(BlockWork* b);
  void submit_compressions();
  static void on_compressed(Request* req);
  void compressed(BlockWork* b);
  void store_whole(BlockWork* b);
  void pack(BlockWork* b, ByteSpan fragment);
  void write_packed(PackedBlock& pb);
  void write_packed_slots(PackedBlock& pb);
  void release_held();
  void flush_packer();
  // A run of `blocks` free blocks (one for a whole block, more for an extent), committing
  // first if W5 holds back enough freed ones.
  StoreResult<uint64_t> take_blocks(uint64_t blocks);
  // Blocks a new write may still claim: free ones less what writes already admitted were
  // promised (a block waiting in the packer keeps its promise until its extent is written).
  uint64_t claimable() const;
  // Promises `blocks` to a write about to start, committing first if that frees enough;
  // false (nothing promised) when the volume cannot hold them.
  bool reserve_space(uint64_t blocks);
  void drop_reservation(BlockWork* b);
  // Maps the block unless a later write of its LBN was mapped first; false if skipped.
  // Ends the block's in-flight record either way. A failed remap is returned.
  StoreResult<bool> map_block(BlockWork* b, const MapEntry& e);
  // A remap for a request processed right now (trim, zeroes): honours the in-flight record.
  StoreStatus map_now(uint64_t lbn, uint64_t seq, const MapEntry& e);
  StoreStatus remap_counted(uint64_t lbn, const MapEntry& e);
  void forget_block(BlockWork* b);
  bool follow_leader(BlockWork* b);
  // The leader's data is written at *e (nullptr: it failed with `s`): its followers map there
  // too, or make a new copy when the block is at the reference limit.
  void resolve_followers(BlockWork* leader, const MapEntry* e, const StoreStatus& s);
  static Op* detach(BlockWork* b);
  LbnRecord& record(uint64_t lbn);
  void recount(LbnRecord& rec);
  void block_done(BlockWork* b, const StoreStatus& s);
  void finish_fua(Op* op);
  StoreStatus commit();
  void metadata_failed(const StoreStatus& s);
  void do_close();

  // --- completion (any thread) ---
  static void fail_op(Op* op, const StoreStatus& s);
  void part_done(Op* op);
  void complete(Op* op);
  // Queues the fragment; submit_decompressions() (engine thread) sends the queue.
  void submit_decompression(ReadFragment* f);
  void submit_decompressions();
  // Sends fragments to the Accel as one batch from any thread; what it refuses runs here.
  void send_decompressions(std::span<Request* const> reqs);
  // Sends requests to the Accel in batches (any thread). One the devices refuse is run on this
  // thread when they are saturated, or keeps the refusal as its status; `finish` then
  // completes it here, since its on_complete will not be called.
  void send_batched(std::span<Request* const> reqs, void (*finish)(VolumeEngine*, Request*));
  static void on_decompressed(Request* req);
  void decompressed(ReadFragment* f);

  BackingStore& dev_;
  const VolumeOptions options_;
  Accel* accel_;
  std::unique_ptr<Accel> owned_accel_;
  Superblock sb_;  // as opened; the engine thread's metadata keeps its own
  const uint8_t algorithm_code_;
  const bool compress_;
  const bool dedupe_;

  // Engine thread only.
  std::unique_ptr<VolumeMetadata> meta_;
  DedupIndex index_;
  Packer packer_;
  // Blocks promised to admitted writes that have not claimed theirs yet: a write that cannot
  // have all it may need fails whole with kNoSpace before it changes anything.
  uint64_t reserved_ = 0;
  std::unordered_map<uint64_t, LbnRecord> inflight_;
  std::unordered_map<BlockHash, BlockWork*, HashOf> leaders_;
  uint64_t compressing_ = 0;
  std::vector<Request*> to_compress_;
  std::vector<Request*> to_decompress_;
  uint64_t logical_used_ = 0;  // LBNs whose map entry references data
  // What in-flight writes add to logical_used_ once mapped: stats show acknowledged writes
  // as used, as reads show their data.
  int64_t visible_delta_ = 0;
  StoreStatus deferred_error_;    // acknowledged writes lost since the last flush
  uint64_t packed_failures_ = 0;  // sealed blocks whose write or remap failed, ever
  int holding_ = 0;               // > 0: finished requests wait in held_
  std::vector<Op*> held_;
  bool closing_ = false;
  StoreStatus close_status_;
  VolumeStats counters_;  // the engine thread's counters, published to snapshot_

  // Queue.
  std::mutex q_mu_;
  std::condition_variable q_cv_;
  std::deque<Event> queue_;
  uint64_t next_seq_ = 1;
  bool accepting_ = true;  // false once close() queued its event

  // Admission (backpressure).
  mutable std::mutex adm_mu_;
  std::condition_variable adm_cv_;
  size_t units_in_flight_ = 0;

  // Stats published by the engine thread, plus counters bumped on other threads.
  mutable std::mutex stats_mu_;
  VolumeStats snapshot_;
  std::atomic<uint64_t> reads_{0}, bytes_read_{0}, read_errors_{0};
  std::atomic<uint64_t> map_peek_hits_{0};  // map cache hits of reads on callers' threads

  // Reads on callers' threads against the engine's turns (Thread-safety above).
  std::shared_mutex gate_;
  std::atomic<bool> engine_waiting_{false};
  bool gate_closed_ = false;  // under gate_: the metadata is closed, reads go to the queue
  // The engine whose turn this thread is running, if any.
  static thread_local const VolumeEngine* in_engine_turn;
  std::atomic<bool> read_only_{false};

  std::mutex close_mu_;  // serialises close()
  std::condition_variable close_cv_;
  bool closed_ = false;
  bool close_done_ = false;
  std::thread thread_;
};

}  // namespace accz::store
