// The engine's life cycle, its queue and thread, admission (backpressure), completion and
// stats. The write path is in write_path.cc, the read path in read_path.cc.
#include "store/engine/volume_engine.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "store/format/layout.h"
#include "store/format/map_entry.h"
#include "store/volume/metadata_io.h"

namespace accz::store {

namespace {

StoreStatus status_of(StoreErrc code, std::string message) {
  switch (code) {
    case StoreErrc::kOk:
      return StoreStatus::Ok();
    case StoreErrc::kIoError:
      return StoreStatus::IoError(std::move(message));
    case StoreErrc::kNoSpace:
      return StoreStatus::NoSpace(std::move(message));
    case StoreErrc::kInvalidArgument:
      return StoreStatus::InvalidArgument(std::move(message));
    case StoreErrc::kCorruption:
      return StoreStatus::Corruption(std::move(message));
    case StoreErrc::kNotSupported:
      return StoreStatus::NotSupported(std::move(message));
    case StoreErrc::kReadOnly:
      return StoreStatus::ReadOnly(std::move(message));
  }
  return StoreStatus::IoError(std::move(message));
}

// Logical blocks mapped to data, counted at open from the written-back map (open replays
// and writes everything back, so the pages on disk are current) when the last session did not
// close cleanly. Reads every map page once: proportional to the logical size / 507 (23 s for
// 1 TiB from a cold cache), a cost paid only after a crash.
StoreResult<uint64_t> count_mapped(BackingStore& dev, const Superblock& sb) {
  uint64_t mapped = 0;
  for (uint64_t page = 0; page < sb.geometry.blockmap_pages; ++page) {
    StoreResult<LoadedMapPage> p = load_map_page(dev, sb, page);
    if (!p.ok()) return {p.status, 0};
    for (uint64_t raw : p.value.data) {
      const auto e = decode_map_entry(raw);
      if (e && e->references_block()) ++mapped;
    }
  }
  return {StoreStatus::Ok(), mapped};
}

}  // namespace

StoreResult<std::unique_ptr<Volume>> VolumeEngine::open(BackingStore& dev,
                                                        const VolumeOptions& options) {
  VolumeMetadataOptions mo;
  mo.map_cache_pages = options.map_cache_pages;
  mo.read_only = options.read_only;
  StoreResult<std::unique_ptr<VolumeMetadata>> meta = VolumeMetadata::open(dev, mo);
  if (!meta.ok()) return {meta.status, nullptr};
  const Superblock sb = meta.value->superblock();

  Accel* accel = options.accel;
  std::unique_ptr<Accel> owned;
  if (accel == nullptr && sb.algorithm != VolumeAlgorithm::kNone) {
    std::string err;
    owned = Accel::open({}, &err);
    if (!owned) return {StoreStatus::NotSupported("cannot open the accelerators: " + err), nullptr};
    accel = owned.get();
  }

  // A clean close recorded the count; after a crash (or from an older writer) it is counted.
  const std::optional<uint64_t> recorded = meta.value->opened().mapped_at_close;
  StoreResult<uint64_t> used =
      recorded ? StoreResult<uint64_t>{StoreStatus::Ok(), *recorded} : count_mapped(dev, sb);
  if (!used.ok()) return {used.status, nullptr};

  const uint64_t saved_index = meta.value->opened().saved_index_generation;
  std::unique_ptr<VolumeEngine> v(
      new VolumeEngine(dev, options, accel, std::move(owned), std::move(meta.value)));
  v->logical_used_ = used.value;
  if (v->dedupe_ && !options.read_only && saved_index != 0) {
    // Advisory: a saved index that cannot be read costs savings, never data.
    if (!v->index_.load(dev, sb, saved_index).ok()) v->index_.clear();
  }
  v->publish_stats();
  v->thread_ = std::thread([raw = v.get()] { raw->run(); });
  return {StoreStatus::Ok(), std::move(v)};
}

VolumeEngine::VolumeEngine(BackingStore& dev, const VolumeOptions& options, Accel* accel,
                           std::unique_ptr<Accel> owned_accel, std::unique_ptr<VolumeMetadata> meta)
    : dev_(dev),
      options_(options),
      accel_(accel),
      owned_accel_(std::move(owned_accel)),
      sb_(meta->superblock()),
      algorithm_code_(static_cast<uint8_t>(sb_.algorithm)),
      compress_(sb_.algorithm != VolumeAlgorithm::kNone),
      dedupe_(sb_.dedupe),
      meta_(std::move(meta)),
      index_(std::max<size_t>(1, options.dedup_index_bytes / DedupIndex::kBytesPerEntry)),
      packer_(static_cast<uint8_t>(sb_.algorithm), options.packer_bins) {
  read_only_ = options.read_only;
}

VolumeEngine::~VolumeEngine() { (void)close(); }

// ---------------------------------------------------------------- caller side

bool VolumeEngine::check_range(uint64_t offset, uint64_t length, const VolumeCallback& done) const {
  const uint64_t size = logical_bytes();
  if (offset % kVolumeBlockSize != 0 || length % kVolumeBlockSize != 0 || offset > size ||
      length > size - offset) {
    done(StoreStatus::InvalidArgument("range [" + std::to_string(offset) + ", +" +
                                      std::to_string(length) +
                                      ") is not 4 KiB-aligned inside the volume"));
    return false;
  }
  return true;
}

void VolumeEngine::admit(size_t units) {
  std::unique_lock lk(adm_mu_);
  // One request larger than the whole limit still goes through, alone.
  adm_cv_.wait(lk, [&] {
    return units_in_flight_ == 0 || units_in_flight_ + units <= options_.max_in_flight;
  });
  units_in_flight_ += units;
}

void VolumeEngine::release_units(size_t units) {
  std::lock_guard lk(adm_mu_);
  units_in_flight_ -= units;
  adm_cv_.notify_all();
}

void VolumeEngine::enqueue_op(Op* op) {
  {
    std::lock_guard lk(q_mu_);
    if (accepting_) {
      op->seq = next_seq_++;
      for (auto& b : op->work) b->seq = op->seq;
      const bool wake = queue_.empty();
      queue_.push_back(Event{Event::Type::kOp, op, nullptr});
      if (wake) q_cv_.notify_one();
      return;
    }
  }
  VolumeCallback done = std::move(op->done);
  const size_t units = op->units;
  delete op;
  release_units(units);
  done(StoreStatus::ReadOnly("volume is closed"));
}

void VolumeEngine::post(Event e) {
  std::lock_guard lk(q_mu_);
  // The engine waits only on an empty queue, so only the first event needs to wake it.
  const bool wake = queue_.empty();
  queue_.push_back(e);
  if (wake) q_cv_.notify_one();
}

VolumeEngine::Op* VolumeEngine::new_op(OpKind kind, uint64_t offset, uint64_t length, bool fua,
                                       VolumeCallback done) {
  auto* op = new Op;
  op->kind = kind;
  op->lbn = offset / kVolumeBlockSize;
  op->blocks = length / kVolumeBlockSize;
  op->fua = fua;
  op->done = std::move(done);
  // Reads and writes hold a unit per block (their buffers are in flight); the others one.
  const bool per_block = kind == OpKind::kRead || kind == OpKind::kWrite;
  op->units =
      per_block ? std::min<size_t>(op->blocks, std::max<size_t>(1, options_.max_in_flight)) : 1;
  admit(op->units);
  return op;
}

void VolumeEngine::read(uint64_t offset, MutableByteSpan out, VolumeCallback done) {
  if (!check_range(offset, out.size(), done)) return;
  if (out.empty()) return done(StoreStatus::Ok());
  Op* op = new_op(OpKind::kRead, offset, out.size(), false, std::move(done));
  op->out = out;
  if (!read_here(op)) enqueue_op(op);
}

void VolumeEngine::write(uint64_t offset, ByteSpan data, bool fua, VolumeCallback done) {
  if (!check_range(offset, data.size(), done)) return;
  if (read_only_) return done(StoreStatus::ReadOnly("volume is read-only"));
  if (data.empty()) return done(StoreStatus::Ok());
  Op* op = new_op(OpKind::kWrite, offset, data.size(), fua, std::move(done));
  // Copy, zero detection and hashing happen here, on the caller's thread, so that several
  // connections hash in parallel while the engine thread does only metadata.
  op->work.reserve(op->blocks);
  for (uint64_t i = 0; i < op->blocks; ++i) {
    auto b = std::make_unique<BlockWork>();
    b->engine = this;
    b->op = op;
    b->lbn = op->lbn + i;
    const ByteSpan block = data.subspan(i * kVolumeBlockSize, kVolumeBlockSize);
    b->data.assign(block.begin(), block.end());
    b->zero = std::all_of(block.begin(), block.end(), [](uint8_t c) { return c == 0; });
    if (!b->zero && dedupe_) b->hash = hash_block(block);
    op->work.push_back(std::move(b));
  }
  enqueue_op(op);
}

void VolumeEngine::unmap(OpKind kind, uint64_t offset, uint64_t length, bool fua,
                         VolumeCallback done) {
  if (!check_range(offset, length, done)) return;
  if (read_only_) return done(StoreStatus::ReadOnly("volume is read-only"));
  if (length == 0) return done(StoreStatus::Ok());
  enqueue_op(new_op(kind, offset, length, fua, std::move(done)));
}

void VolumeEngine::trim(uint64_t offset, uint64_t length, bool fua, VolumeCallback done) {
  unmap(OpKind::kTrim, offset, length, fua, std::move(done));
}

void VolumeEngine::write_zeroes(uint64_t offset, uint64_t length, bool fua, VolumeCallback done) {
  unmap(OpKind::kZeroes, offset, length, fua, std::move(done));
}

void VolumeEngine::flush(VolumeCallback done) {
  enqueue_op(new_op(OpKind::kFlush, 0, 0, false, std::move(done)));
}

StoreResult<std::vector<VolumeExtent>> VolumeEngine::extents(uint64_t offset, uint64_t length) {
  StoreStatus range;
  if (!check_range(offset, length, [&](StoreStatus s) { range = std::move(s); })) {
    return {range, {}};
  }
  std::vector<VolumeExtent> out;
  if (length == 0) return {StoreStatus::Ok(), out};
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  StoreStatus result;
  auto* op = new Op;
  op->kind = OpKind::kExtents;
  op->lbn = offset / kVolumeBlockSize;
  op->blocks = length / kVolumeBlockSize;
  op->extents = &out;
  op->done = [&](StoreStatus s) {
    std::lock_guard lk(mu);
    result = std::move(s);
    finished = true;
    cv.notify_one();
  };
  op->units = 1;
  admit(op->units);
  enqueue_op(op);
  std::unique_lock lk(mu);
  cv.wait(lk, [&] { return finished; });
  if (!result.ok()) return {result, {}};
  return {StoreStatus::Ok(), std::move(out)};
}

StoreStatus VolumeEngine::close() {
  std::lock_guard lk(close_mu_);
  if (closed_) return close_status_;
  {
    std::lock_guard q(q_mu_);
    accepting_ = false;
    queue_.push_back(Event{Event::Type::kClose, nullptr, nullptr});
    q_cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  // Reads whose decompression is still on a device thread.
  {
    std::unique_lock a(adm_mu_);
    adm_cv_.wait(a, [&] { return units_in_flight_ == 0; });
  }
  closed_ = true;
  return close_status_;
}

// ---------------------------------------------------------------- engine thread

void VolumeEngine::run() {
  std::deque<Event> batch;
  const auto timeout = std::chrono::milliseconds(std::max<uint32_t>(1, options_.packer_timeout_ms));
  for (;;) {
    {
      std::unique_lock lk(q_mu_);
      if (queue_.empty()) {
        if (packer_.fragments_waiting() > 0) {
          q_cv_.wait_for(lk, timeout, [&] { return !queue_.empty(); });
        } else {
          q_cv_.wait(lk, [&] { return !queue_.empty(); });
        }
      }
      batch.swap(queue_);
    }
    std::unique_lock gate(gate_, std::try_to_lock);
    if (!gate.owns_lock()) {
      // glibc's rwlock prefers readers: new ones stay off the gate while the engine waits.
      engine_waiting_.store(true, std::memory_order_relaxed);
      gate.lock();
      engine_waiting_.store(false, std::memory_order_relaxed);
    }
    in_engine_turn = this;
    for (const Event& e : batch) handle(e);
    batch.clear();
    submit_compressions();
    submit_decompressions();
    on_timer();
    publish_stats();
    if (closing_ && compressing_ == 0) {
      do_close();
      in_engine_turn = nullptr;
      return;
    }
    in_engine_turn = nullptr;
  }
}

void VolumeEngine::handle(const Event& e) {
  switch (e.type) {
    case Event::Type::kOp:
      switch (e.op->kind) {
        case OpKind::kRead:
          return start_read(e.op);
        case OpKind::kWrite:
          return start_write(e.op);
        case OpKind::kTrim:
        case OpKind::kZeroes:
          return start_unmap(e.op);
        case OpKind::kFlush:
          return start_flush(e.op);
        case OpKind::kExtents:
          return start_extents(e.op);
      }
      return;
    case Event::Type::kCompressed:
      --compressing_;
      return compressed(e.work);
    case Event::Type::kClose:
      closing_ = true;
      return;
  }
}

StoreStatus VolumeEngine::commit() {
  StoreStatus s = meta_->commit();
  if (!s.ok()) metadata_failed(s);
  return s;
}

void VolumeEngine::metadata_failed(const StoreStatus& s) {
  // §9: after a failed journal or metadata write only a reopen (replay) knows what is on
  // disk, so the volume refuses writes from now on.
  if (s.code() != StoreErrc::kInvalidArgument && s.code() != StoreErrc::kNoSpace) {
    read_only_ = true;
  }
}

void VolumeEngine::start_flush(Op* op) {
  ++counters_.flushes;
  op->pending = 1;
  flush_packer();
  StoreStatus s = commit();
  if (s.ok() && !deferred_error_.ok()) {
    s = deferred_error_;
    deferred_error_ = StoreStatus::Ok();
  }
  if (!s.ok()) fail_op(op, s);
  part_done(op);
}

void VolumeEngine::do_close() {
  flush_packer();
  StoreStatus s = deferred_error_;
  uint64_t generation = 0;
  if (!options_.read_only && !read_only_) {
    StoreStatus c = meta_->commit();
    if (c.ok()) c = meta_->checkpoint();
    if (!c.ok()) {
      metadata_failed(c);
    } else if (dedupe_ && sb_.geometry.index_blocks > 0) {
      // Unique per close: the clean superblock written next takes this generation.
      generation = meta_->superblock().generation + 1;
      if (!index_.save(dev_, meta_->superblock(), generation).ok()) generation = 0;
    }
  }
  // Everything is drained: the count is exact, and saves the next open reading every map
  // page to learn it.
  StoreStatus m = meta_->close(generation, logical_used_);
  close_status_ = m.ok() ? s : m;
  gate_closed_ = true;
  publish_stats();
}

// ---------------------------------------------------------------- completion

void VolumeEngine::fail_op(Op* op, const StoreStatus& s) {
  uint8_t expected = 0;
  std::lock_guard lk(op->error_mu);
  if (op->error.compare_exchange_strong(expected, static_cast<uint8_t>(s.code()))) {
    op->error_message = s.message();
  }
}

void VolumeEngine::part_done(Op* op) {
  if (op->pending.fetch_sub(1) != 1) return;
  // Only reads finish on device threads, and nothing holds them.
  if (op->kind != OpKind::kRead && holding_ > 0) {
    held_.push_back(op);
    return;
  }
  complete(op);
}

void VolumeEngine::release_held() {
  std::vector<Op*> ready = std::move(held_);
  held_.clear();
  for (Op* op : ready) complete(op);
}

void VolumeEngine::complete(Op* op) {
  // Writes, trims and zeroes complete on the engine thread, so FUA can commit here.
  if (op->fua && op->error == 0 && op->kind != OpKind::kRead && op->kind != OpKind::kFlush &&
      op->kind != OpKind::kExtents) {
    finish_fua(op);
  }
  StoreStatus s;
  {
    std::lock_guard lk(op->error_mu);
    s = status_of(static_cast<StoreErrc>(op->error.load()), op->error_message);
  }
  if (op->kind == OpKind::kRead) {
    reads_.fetch_add(1, std::memory_order_relaxed);
    if (s.ok()) {
      bytes_read_.fetch_add(op->blocks * kVolumeBlockSize, std::memory_order_relaxed);
    } else {
      read_errors_.fetch_add(1, std::memory_order_relaxed);
    }
  } else if (!s.ok() && s.code() != StoreErrc::kReadOnly) {
    // Engine thread: its own counters; publish so that stats() seen from `done` is current.
    if (s.code() == StoreErrc::kNoSpace) {
      ++counters_.no_space_errors;
    } else if (op->kind != OpKind::kExtents) {
      ++counters_.write_errors;
    }
  }
  if (op->kind != OpKind::kRead) publish_stats();
  VolumeCallback done = std::move(op->done);
  const size_t units = op->units;
  delete op;
  // Units first: a caller woken by `done` then sees in_flight without this request.
  release_units(units);
  done(std::move(s));
}

void VolumeEngine::finish_fua(Op* op) {
  const uint64_t failures = packed_failures_;
  flush_packer();
  StoreStatus s = commit();
  if (s.ok() && packed_failures_ != failures) {
    s = StoreStatus::IoError("a packed block holding acknowledged writes failed to write");
  }
  if (!s.ok()) fail_op(op, s);
}

void VolumeEngine::on_timer() {
  if (packer_.fragments_waiting() == 0) return;
  const uint64_t now =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                                .count());
  const uint64_t timeout = uint64_t{options_.packer_timeout_ms} * 1000;
  if (now < timeout) return;
  for (PackedBlock& pb : packer_.flush_older_than(now - timeout)) {
    write_packed(pb);
  }
}

void VolumeEngine::publish_stats() {
  VolumeStats s = counters_;
  const Geometry& g = sb_.geometry;
  s.logical_blocks = g.logical_blocks;
  s.logical_blocks_used =
      static_cast<uint64_t>(static_cast<int64_t>(logical_used_) + visible_delta_);
  s.physical_blocks = g.data_blocks;
  s.data_blocks_used = meta_->blocks_in_use();
  s.overhead_blocks = g.physical_blocks - g.data_blocks;
  s.packer_fragments_waiting = packer_.fragments_waiting();
  s.packer_bins_in_use = packer_.bins_in_use();
  const JournalStats& j = meta_->journal_stats();
  s.journal_entries = j.entries_appended;
  s.journal_blocks_written = j.blocks_written;
  s.journal_commits = j.commits;
  const BlockMapCacheStats& m = meta_->map_cache_stats();
  s.map_cache_hits = m.hits;
  s.map_cache_misses = m.misses;
  s.map_pages_written = m.pages_written;
  s.dedup_index_entries = index_.size();
  s.dedup_index_capacity = index_.capacity();
  std::lock_guard lk(stats_mu_);
  snapshot_ = s;
}

VolumeStats VolumeEngine::stats() const {
  VolumeStats s;
  {
    std::lock_guard lk(stats_mu_);
    s = snapshot_;
  }
  s.reads = reads_.load(std::memory_order_relaxed);
  s.bytes_read = bytes_read_.load(std::memory_order_relaxed);
  s.read_errors = read_errors_.load(std::memory_order_relaxed);
  s.map_cache_hits += map_peek_hits_.load(std::memory_order_relaxed);
  s.read_only = read_only_;
  {
    std::lock_guard lk(adm_mu_);
    s.in_flight = units_in_flight_;
  }
  s.saving_percent = s.logical_blocks_used == 0
                         ? 0
                         : 100.0 * (1.0 - static_cast<double>(s.data_blocks_used) /
                                              static_cast<double>(s.logical_blocks_used));
  return s;
}

}  // namespace accz::store
