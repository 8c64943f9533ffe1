// The engine's write path (engine thread): zero blocks, dedupe with byte verification,
// asynchronous compression, the packer with reserved blocks, whole-block writes, and trim /
// write-zeroes. Data is always written before the remap that maps it; the journal commit's
// pre-flush then makes it durable before the entry (W1).
#include <algorithm>
#include <chrono>
#include <cstring>
#include <span>
#include <string>

#include "store/engine/volume_engine.h"
#include "store/format/compressed_block.h"
#include "store/format/layout.h"
#include "store/volume/block_io.h"
#include "store/volume/extent_reader.h"

namespace accz::store {

namespace {

// Fragments at least this big are stored whole: any fragment that fits a bin saves space
// when paired with others, so only what cannot fit is refused.
constexpr size_t kFragmentThreshold = kMaxFragmentBytes;

constexpr size_t kMaxFollowers = 64;

uint64_t now_us() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

void VolumeEngine::start_write(Op* op) {
  ++counters_.writes;
  counters_.bytes_written += op->blocks * kVolumeBlockSize;
  if (op->fua) ++counters_.fua_writes;
  if (read_only_) {
    fail_op(op, StoreStatus::ReadOnly("volume is read-only after a failed metadata write"));
    op->pending = 1;
    op->work.clear();
    return part_done(op);
  }
  // Space for every block that may need one is promised up front, so that a write the
  // volume cannot hold fails whole and changes nothing (zero blocks need no space; a block
  // that dedupes gives its promise back).
  uint64_t need = 0;
  for (const auto& b : op->work) need += b->zero ? 0 : 1;
  if (!reserve_space(need)) {
    fail_op(op, StoreStatus::NoSpace("the volume has no room for " + std::to_string(need) +
                                     " more data blocks"));
    op->pending = 1;
    op->work.clear();
    return part_done(op);
  }
  for (auto& b : op->work) b->reserved = !b->zero;
  // Every block of the request becomes visible to reads before any of it is processed.
  op->pending = op->work.size() + 1;
  for (auto& b : op->work) {
    LbnRecord& rec = record(b->lbn);
    rec.pending[b->seq] = b.get();
    recount(rec);
  }
  std::vector<std::unique_ptr<BlockWork>> work = std::move(op->work);
  for (auto& b : work) process_block(b.release());
  part_done(op);
}

void VolumeEngine::process_block(BlockWork* b) {
  if (b->zero) {
    ++counters_.zero_blocks_written;
    StoreResult<bool> m = map_block(b, MapEntry::zero());
    block_done(b, m.status);
    return forget_block(b);
  }
  if (dedupe_ && (try_dedupe(b) || follow_leader(b))) return;
  if (!compress_) return store_whole(b);
  submit_compression(b);
}

StoreStatus VolumeEngine::read_data_block(const MapEntry& e, MutableByteSpan out) {
  if (e.kind == MapEntry::Kind::kWhole) return read_block(dev_, e.pbn, out);
  ExtentReader extent(e);
  StoreResult<ByteSpan> src = extent.fragment(dev_, algorithm_code_, e);
  if (!src.ok()) return src.status;
  if (accel_ == nullptr) return StoreStatus::Corruption("no device to expand fragments");
  return decompress_fragment(*accel_, sb_.algorithm, src.value, out);
}

bool VolumeEngine::try_dedupe(BlockWork* b) {
  const std::optional<MapEntry> candidate = index_.find(b->hash);
  if (!candidate) return false;
  // A free block may already be handed out for other contents: never share one. A fragment
  // needs every block it references alive, not just its extent's first: the blocks of its
  // bytes are freed as soon as no live fragment uses them.
  const BlockRefs refs = candidate->referenced_blocks();
  if (std::any_of(refs.begin(), refs.end(),
                  [&](uint64_t pbn) { return meta_->refcount(pbn) == 0; })) {
    ++counters_.dedupe_advice_stale;
    index_.erase(b->hash);
    return false;
  }
  std::vector<uint8_t> stored(kBlockSize);
  if (!read_data_block(*candidate, stored).ok()) return false;  // costs savings, not data
  if (std::memcmp(stored.data(), b->data.data(), kBlockSize) != 0) {
    ++counters_.dedupe_advice_stale;
    index_.erase(b->hash);
    return false;
  }
  if (!meta_->can_share(candidate->pbn)) {
    // §5: at the limit the write makes a new copy, which becomes the index's target.
    ++counters_.reference_limit_copies;
    return false;
  }
  StoreResult<bool> m = map_block(b, *candidate);
  if (m.ok()) ++counters_.dedupe_advice_valid;
  block_done(b, m.status);
  forget_block(b);
  return true;
}

bool VolumeEngine::follow_leader(BlockWork* b) {
  // Duplicates written close together would all miss the index (it learns a block only once
  // it is mapped), so the in-flight copy leads and the others wait for it.
  auto [it, inserted] = leaders_.try_emplace(b->hash, b);
  if (inserted) {
    b->leader = true;
    return false;
  }
  BlockWork* leader = it->second;
  // Followers of a binned leader are acknowledged at once and stop counting against
  // max_in_flight, so their number is capped to keep memory bounded by configuration.
  if (leader->followers.size() >= kMaxFollowers) return false;
  if (std::memcmp(leader->data.data(), b->data.data(), kBlockSize) != 0) return false;
  leader->followers.push_back(b);
  // A leader that is no longer attached to its request sits acknowledged in a bin.
  if (leader->op == nullptr) block_done(b, StoreStatus::Ok());
  return true;
}

void VolumeEngine::resolve_followers(BlockWork* leader, const MapEntry* e, const StoreStatus& s) {
  if (leader->leader) {
    auto it = leaders_.find(leader->hash);
    if (it != leaders_.end() && it->second == leader) leaders_.erase(it);
    leader->leader = false;
  }
  std::vector<BlockWork*> followers = std::move(leader->followers);
  leader->followers.clear();
  for (BlockWork* f : followers) {
    if (e == nullptr) {
      block_done(f, s);
      forget_block(f);
      continue;
    }
    if (!meta_->can_share(e->pbn)) {
      // A new copy, written now: the follower may be acknowledged already and a flush may be
      // settling the packer this very moment, so it must not go back to compression.
      ++counters_.reference_limit_copies;
      store_whole(f);
      continue;
    }
    StoreResult<bool> m = map_block(f, *e);
    if (m.ok()) {
      ++counters_.dedupe_advice_valid;
    } else if (f->op == nullptr) {
      ++packed_failures_;
      deferred_error_ = m.status;
    }
    block_done(f, m.status);
    forget_block(f);
  }
}

VolumeEngine::Op* VolumeEngine::detach(BlockWork* b) {
  Op* op = b->op;
  b->op = nullptr;
  return op;
}

void VolumeEngine::submit_compression(BlockWork* b) {
  prepare_compression(&b->job, sb_.algorithm, sb_.level, b->data);
  b->job.req.on_complete = &VolumeEngine::on_compressed;
  b->job.req.user = b;
  ++compressing_;
  to_compress_.push_back(&b->job.req);
}

void VolumeEngine::submit_compressions() {
  // One batch per turn of the engine loop: much cheaper per request than one submit each,
  // and it wakes each device worker once.
  std::vector<Request*> reqs = std::move(to_compress_);
  to_compress_.clear();
  send_batched(reqs, [](VolumeEngine* e, Request* req) {
    --e->compressing_;
    e->compressed(static_cast<BlockWork*>(req->user));  // a refusal: job_fragment() stores it whole
  });
}

void VolumeEngine::send_batched(std::span<Request* const> reqs,
                                void (*finish)(VolumeEngine*, Request*)) {
  size_t i = 0;
  while (i < reqs.size()) {
    i += accel_->submit_batch(reqs.subspan(i));
    if (i == reqs.size()) break;
    Request* req = reqs[i++];
    const Status st = accel_->submit(req);  // the refused one, alone, to learn why
    if (st == Status::kOk) continue;
    req->on_complete = nullptr;
    if (st == Status::kBusy) {
      accel_->run(*req);  // the devices are saturated: do this one here
    } else {
      req->result.status = st;
    }
    finish(this, req);
  }
}

void VolumeEngine::on_compressed(Request* req) {
  auto* b = static_cast<BlockWork*>(req->user);
  b->engine->post(Event{Event::Type::kCompressed, nullptr, b});
}

void VolumeEngine::compressed(BlockWork* b) {
  const LbnRecord& rec = inflight_.at(b->lbn);
  if (rec.mapped_seq > b->seq && b->followers.empty()) {
    // A later write of this LBN is already mapped: this one is overwritten before it lands.
    block_done(b, StoreStatus::Ok());
    return forget_block(b);
  }
  const std::optional<ByteSpan> fragment = job_fragment(b->job, kFragmentThreshold);
  if (!fragment) {
    ++counters_.incompressible_blocks;
    return store_whole(b);
  }
  pack(b, *fragment);
}

uint64_t VolumeEngine::claimable() const {
  const uint64_t free = meta_->blocks_allocatable();
  return free > reserved_ ? free - reserved_ : 0;
}

bool VolumeEngine::reserve_space(uint64_t blocks) {
  if (blocks == 0) return true;
  // W5 holds freed blocks back until their free is committed: committing may free enough.
  if (claimable() < blocks && (!commit().ok() || claimable() < blocks)) return false;
  reserved_ += blocks;
  return true;
}

void VolumeEngine::drop_reservation(BlockWork* b) {
  if (!b->reserved) return;
  b->reserved = false;
  --reserved_;
}

StoreResult<uint64_t> VolumeEngine::take_blocks(uint64_t blocks) {
  StoreResult<uint64_t> r = meta_->allocate_run(blocks);
  if (r.status.code() == StoreErrc::kNoSpace && commit().ok()) {
    // W5 holds freed blocks back until their free is committed: committing may free some.
    r = meta_->allocate_run(blocks);
  }
  return r;
}

void VolumeEngine::store_whole(BlockWork* b) {
  // The promise is given back before claiming, so the claim may use the block it covered.
  drop_reservation(b);
  StoreResult<uint64_t> pbn = take_blocks(1);
  if (!pbn.ok()) {
    resolve_followers(b, nullptr, pbn.status);
    block_done(b, pbn.status);
    return forget_block(b);
  }
  StoreStatus s = write_block(dev_, pbn.value, b->data);
  if (!s.ok()) {
    meta_->release(pbn.value);
    s = StoreStatus::IoError("writing data block: " + s.message());
    resolve_followers(b, nullptr, s);
    block_done(b, s);
    return forget_block(b);
  }
  const MapEntry e = MapEntry::whole(pbn.value);
  StoreResult<bool> m = map_block(b, e);
  resolve_followers(b, &e, StoreStatus::Ok());
  if (meta_->refcount(pbn.value) == 0) {
    meta_->release(pbn.value);  // overwritten before it landed, and nobody followed it
  } else if (dedupe_) {
    index_.insert(b->hash, e);
  }
  block_done(b, m.status);
  forget_block(b);
}

void VolumeEngine::pack(BlockWork* b, ByteSpan fragment) {
  // The fragment keeps its block's promise until its extent is written: an extent never
  // needs more blocks than it has fragments (or it is written whole, one block each), so
  // sealing can never run out of space after the write was acknowledged.
  std::vector<PackedBlock> sealed = packer_.add(reinterpret_cast<uintptr_t>(b), fragment, now_us());
  // Acknowledge (the block and the duplicates following it) after the sealed extents are
  // written: a FUA completion commits, and must find this fragment mapped if its bin was
  // just sealed.
  std::vector<Op*> acked{detach(b)};
  for (BlockWork* f : b->followers) acked.push_back(detach(f));
  for (PackedBlock& pb : sealed) write_packed(pb);  // may end `b`
  for (Op* op : acked) {
    if (op != nullptr) part_done(op);
  }
}

void VolumeEngine::write_packed(PackedBlock& pb) {
  // A request finishing halfway through would commit (FUA) before the extent's later slots
  // are mapped: completions wait until every slot is settled.
  ++holding_;
  write_packed_slots(pb);
  if (--holding_ == 0) release_held();
}

void VolumeEngine::write_packed_slots(PackedBlock& pb) {
  const uint64_t blocks = pb.blocks();
  // An extent of as many blocks as fragments saves nothing and would cost a decompression on
  // every read, so, as VDO does with a fragment it could not pack, the originals are written
  // whole instead; so are they when no run of free blocks is left for the extent. The
  // BlockWorks (the cookies) still hold them, and each still holds its block's promise.
  StoreResult<uint64_t> pbn = {StoreStatus::NoSpace("not worth an extent"), 0};
  if (blocks < pb.cookies.size()) pbn = take_blocks(blocks);
  if (!pbn.ok()) {
    if (blocks < pb.cookies.size()) ++counters_.extents_unplaced;
    for (uint64_t cookie : pb.cookies) {
      auto* b = reinterpret_cast<BlockWork*>(cookie);
      ++counters_.incompressible_blocks;  // stored whole, as the counter says
      store_whole(b);
    }
    return;
  }
  StoreStatus s = write_blocks(dev_, pbn.value, pb.block);
  if (!s.ok()) {
    for (uint64_t i = 0; i < blocks; ++i) meta_->release(pbn.value + i);
    ++counters_.write_errors;
    ++packed_failures_;
    deferred_error_ =
        StoreStatus::IoError("a compressed extent of acknowledged writes failed: " + s.message());
    for (uint64_t cookie : pb.cookies) {
      auto* b = reinterpret_cast<BlockWork*>(cookie);
      resolve_followers(b, nullptr, deferred_error_);
      block_done(b, deferred_error_);
      forget_block(b);
    }
    return;
  }
  ++counters_.compressed_extents_written;
  counters_.compressed_blocks_written += blocks;
  counters_.compressed_fragments_written += pb.cookies.size();
  const auto extent = static_cast<uint8_t>(blocks - 1);
  // The packer's own header says where each fragment lies.
  const CompressedHeader h = parse_compressed_header(pb.block, algorithm_code_).value;
  for (size_t slot = 0; slot < pb.cookies.size(); ++slot) {
    auto* b = reinterpret_cast<BlockWork*>(pb.cookies[slot]);
    const auto s8 = static_cast<uint8_t>(slot);
    const auto first = static_cast<uint8_t>(h.first_block(s8));
    const MapEntry e = MapEntry::fragment(pbn.value, s8, extent, first, h.last_block(s8) > first);
    StoreResult<bool> m = map_block(b, e);
    if (!m.ok()) {
      ++packed_failures_;
      deferred_error_ = m.status;
    }
    const bool shared = !b->followers.empty();
    resolve_followers(b, &e, StoreStatus::Ok());
    if (dedupe_ && ((m.ok() && m.value) || shared)) index_.insert(b->hash, e);
    block_done(b, m.status);
    forget_block(b);
  }
  // Blocks whose fragments were all overwritten while they waited hold nothing anyone maps.
  for (uint64_t i = 0; i < blocks; ++i) {
    if (meta_->refcount(pbn.value + i) == 0) meta_->release(pbn.value + i);
  }
}

void VolumeEngine::flush_packer() {
  for (PackedBlock& pb : packer_.flush_all()) write_packed(pb);
}

StoreResult<bool> VolumeEngine::map_block(BlockWork* b, const MapEntry& e) {
  LbnRecord& rec = inflight_.at(b->lbn);
  if (rec.mapped_seq > b->seq) return {StoreStatus::Ok(), false};
  StoreStatus s = remap_counted(b->lbn, e);
  if (!s.ok()) return {s, false};
  rec.mapped_seq = b->seq;
  rec.mapped_data = e.references_block();
  recount(rec);
  return {StoreStatus::Ok(), true};
}

VolumeEngine::LbnRecord& VolumeEngine::record(uint64_t lbn) {
  auto [it, inserted] = inflight_.try_emplace(lbn);
  if (inserted) {
    StoreResult<MapEntry> cur = meta_->lookup(lbn);
    it->second.mapped_data = cur.ok() && cur.value.references_block();
  }
  return it->second;
}

void VolumeEngine::recount(LbnRecord& rec) {
  bool visible_data = rec.mapped_data;
  if (!rec.pending.empty() && rec.pending.rbegin()->first > rec.mapped_seq) {
    visible_data = !rec.pending.rbegin()->second->zero;
  }
  const int delta = static_cast<int>(visible_data) - static_cast<int>(rec.mapped_data);
  visible_delta_ += delta - rec.delta;
  rec.delta = delta;
}

StoreStatus VolumeEngine::map_now(uint64_t lbn, uint64_t seq, const MapEntry& e) {
  auto it = inflight_.find(lbn);
  if (it == inflight_.end()) {
    StoreResult<MapEntry> cur = meta_->lookup(lbn);
    if (cur.ok() && cur.value == e) return StoreStatus::Ok();  // nothing to journal
    return remap_counted(lbn, e);
  }
  StoreStatus s = remap_counted(lbn, e);
  if (s.ok()) {
    it->second.mapped_seq = seq;
    it->second.mapped_data = e.references_block();
    recount(it->second);
  }
  return s;
}

StoreStatus VolumeEngine::remap_counted(uint64_t lbn, const MapEntry& e) {
  MapEntry old;
  StoreResult<uint64_t> r = meta_->remap(lbn, e, &old);
  if (!r.ok()) {
    metadata_failed(r.status);
    return r.status;
  }
  if (old.references_block()) --logical_used_;
  if (e.references_block()) ++logical_used_;
  return StoreStatus::Ok();
}

void VolumeEngine::block_done(BlockWork* b, const StoreStatus& s) {
  Op* op = b->op;
  if (op == nullptr) {
    if (!s.ok()) {
      // Acknowledged and now lost, like a write in a failing disk's cache: the next flush
      // says so.
      ++packed_failures_;
      deferred_error_ = s;
    }
    return;
  }
  b->op = nullptr;
  if (!s.ok()) fail_op(op, s);
  part_done(op);
}

void VolumeEngine::forget_block(BlockWork* b) {
  drop_reservation(b);
  if (b->leader || !b->followers.empty()) {
    resolve_followers(b, nullptr, StoreStatus::IoError("the block they duplicate was dropped"));
  }
  auto it = inflight_.find(b->lbn);
  if (it != inflight_.end()) {
    it->second.pending.erase(b->seq);
    recount(it->second);
    if (it->second.pending.empty()) {
      visible_delta_ -= it->second.delta;
      inflight_.erase(it);
    }
  }
  delete b;
}

void VolumeEngine::start_unmap(Op* op) {
  const bool trim = op->kind == OpKind::kTrim;
  if (trim) {
    ++counters_.trims;
  } else {
    ++counters_.write_zeroes;
  }
  if (op->fua) ++counters_.fua_writes;
  op->pending = 1;
  if (read_only_) {
    fail_op(op, StoreStatus::ReadOnly("volume is read-only after a failed metadata write"));
    return part_done(op);
  }
  const MapEntry target = trim ? MapEntry::unmapped() : MapEntry::zero();
  for (uint64_t i = 0; i < op->blocks; ++i) {
    StoreStatus s = map_now(op->lbn + i, op->seq, target);
    if (!s.ok()) {
      fail_op(op, s);
      break;
    }
  }
  part_done(op);
}

}  // namespace accz::store
