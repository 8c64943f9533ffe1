// The engine's read path: in-flight data first (read-your-write), then the block map; whole
// blocks are read straight into the caller's buffer, fragments are expanded on the Accel's
// devices, and the request completes when its last fragment does. A read whose map pages are
// cached is served on the caller's thread (read_here); the others go through the engine's
// queue (start_read), whose turn caches the pages.
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/engine/volume_engine.h"
#include "store/format/layout.h"
#include "store/volume/block_io.h"

namespace accz::store {

thread_local const VolumeEngine* VolumeEngine::in_engine_turn = nullptr;

namespace {

constexpr size_t kInlineFragments = 2;

}  // namespace

bool VolumeEngine::gather_read(Op* op, bool peek_only, ReadPlan& plan) {
  // Whole blocks of consecutive LBNs at consecutive PBNs are read with one call; a block that
  // shares the previous whole block's PBN (a duplicate written right after its original, as
  // fio's dedupe_percentage writes them) is copied from it once that is read.
  uint64_t run_pbn = 0, run_first = 0, run_length = 0;
  uint64_t last_pbn = 0, last_index = 0;
  std::vector<std::pair<uint64_t, uint64_t>> copies;  // (from, to) block indexes
  auto read_run = [&] {
    if (run_length == 0) return;
    StoreStatus s =
        read_blocks(dev_, run_pbn,
                    op->out.subspan(run_first * kVolumeBlockSize, run_length * kVolumeBlockSize));
    run_length = 0;
    if (!s.ok()) fail_op(op, StoreStatus::IoError("reading data block: " + s.message()));
  };
  // First every block's source: its newest in-flight copy, else its map entry. Knowing them
  // all first tells how many of each extent's fragments the read needs: an extent it wants
  // several of is read whole, once; one it wants a single fragment of (a duplicate pointing
  // back at older data) only where that fragment lies.
  const bool many = op->blocks > 1;  // a random 4 KiB read needs none of the bookkeeping
  std::vector<const BlockWork*> copy_of(op->blocks, nullptr);
  std::vector<MapEntry> entries(op->blocks);
  std::unordered_map<uint64_t, uint32_t> wanted;  // extent's first PBN -> fragments needed
  for (uint64_t i = 0; i < op->blocks; ++i) {
    const uint64_t lbn = op->lbn + i;
    auto rec = inflight_.find(lbn);
    if (rec != inflight_.end() && !rec->second.pending.empty() &&
        rec->second.pending.rbegin()->first > rec->second.mapped_seq) {
      copy_of[i] = rec->second.pending.rbegin()->second;
      continue;
    }
    if (peek_only) {
      const std::optional<MapEntry> cached = meta_->peek(lbn);
      if (!cached) return false;
      ++plan.map_hits;
      entries[i] = *cached;
    } else {
      StoreResult<MapEntry> looked = meta_->lookup(lbn);
      if (!looked.ok()) {
        fail_op(op, looked.status);
        return true;
      }
      entries[i] = looked.value;
    }
    if (many && entries[i].kind == MapEntry::Kind::kFragment) ++wanted[entries[i].pbn];
  }
  std::unordered_map<uint64_t, std::shared_ptr<ExtentReader>> readers;
  for (uint64_t i = 0; i < op->blocks && op->error.load() == 0; ++i) {
    const uint64_t lbn = op->lbn + i;
    const MutableByteSpan out = op->out.subspan(i * kVolumeBlockSize, kVolumeBlockSize);
    if (copy_of[i] != nullptr) {
      std::memcpy(out.data(), copy_of[i]->data.data(), kVolumeBlockSize);
      continue;
    }
    const MapEntry& e = entries[i];
    switch (e.kind) {
      case MapEntry::Kind::kUnmapped:
      case MapEntry::Kind::kZero:
        std::memset(out.data(), 0, out.size());
        break;
      case MapEntry::Kind::kWhole:
        if (last_pbn == e.pbn) {
          copies.emplace_back(last_index, i);
          break;
        }
        last_pbn = e.pbn;
        last_index = i;
        if (run_length > 0 && run_first + run_length == i && run_pbn + run_length == e.pbn) {
          ++run_length;
          break;
        }
        read_run();
        run_pbn = e.pbn;
        run_first = i;
        run_length = 1;
        break;
      case MapEntry::Kind::kFragment: {
        std::shared_ptr<ExtentReader> alone;
        std::shared_ptr<ExtentReader>& extent = many ? readers[e.pbn] : alone;
        if (extent == nullptr)
          extent = std::make_shared<ExtentReader>(e, many && wanted[e.pbn] > 1);
        StoreResult<ByteSpan> src = extent->fragment(dev_, algorithm_code_, e);
        if (!src.ok()) {
          fail_op(op,
                  src.status.code() == StoreErrc::kCorruption
                      ? StoreStatus::Corruption("LBN " + std::to_string(lbn) + ": " +
                                                src.status.message())
                      : StoreStatus::IoError("reading compressed extent: " + src.status.message()));
          break;
        }
        plan.fragments.push_back({extent, src.value, out});
        break;
      }
    }
  }
  if (op->error.load() == 0) read_run();
  if (op->error.load() == 0) {
    for (const auto& [from, to] : copies) {
      std::memcpy(op->out.data() + to * kVolumeBlockSize, op->out.data() + from * kVolumeBlockSize,
                  kVolumeBlockSize);
    }
  }
  return true;
}

std::vector<VolumeEngine::ReadFragment*> VolumeEngine::fragments_of(Op* op, const ReadPlan& plan) {
  std::vector<ReadFragment*> out;
  if (plan.fragments.empty() || op->error.load() != 0) return out;
  const auto framing = fragment_framing(sb_.algorithm);
  if (!framing || accel_ == nullptr) {
    fail_op(op, StoreStatus::Corruption("the volume's algorithm cannot expand fragments"));
    return out;
  }
  out.reserve(plan.fragments.size());
  for (const ReadPlan::Fragment& pf : plan.fragments) {
    auto* f = new ReadFragment;
    f->engine = this;
    f->op = op;
    f->extent = pf.extent;
    f->req.op = Operation::kDecompress;
    f->req.framing = *framing;
    f->src[0] = pf.src;
    f->dst[0] = pf.dst;
    f->req.src = f->src;
    f->req.dst = f->dst;
    f->req.user = f;
    out.push_back(f);
  }
  return out;
}

void VolumeEngine::start_read(Op* op) {
  op->pending = 1;  // the engine's hold, dropped at the end
  ReadPlan plan;
  gather_read(op, false, plan);
  if (op->error.load() == 0) {
    for (ReadFragment* f : fragments_of(op, plan)) {
      op->pending.fetch_add(1);
      submit_decompression(f);
    }
  }
  part_done(op);
}

bool VolumeEngine::read_here(Op* op) {
  // The engine's own thread (a `done` that reads, against volume.h) must not wait for the
  // gate it holds.
  if (engine_waiting_.load(std::memory_order_relaxed) || in_engine_turn == this) return false;
  ReadPlan plan;
  {
    // Waits at most for the engine's current turn: a queued read would wait for it too.
    std::shared_lock gate(gate_);
    if (gate_closed_) return false;
    if (!gather_read(op, true, plan)) return false;
  }
  map_peek_hits_.fetch_add(plan.map_hits, std::memory_order_relaxed);
  // The data is in the caller's buffer or in the plan's own blocks: nothing below needs the
  // gate, and expanding fragments outside it keeps engine turns from waiting on it.
  op->pending = 1;
  std::vector<ReadFragment*> fragments;
  if (op->error.load() == 0) fragments = fragments_of(op, plan);
  // All in one batch, even one fragment: Accel::run() would hand each to a device worker
  // too and wait for it, holding up the caller's next request (the store_engine benchmark's
  // deflate reads ran at 60 % of the batched speed that way).
  // A read of a fragment or two (a random 4 KiB read) expands them here when the software
  // device does it: a hand-off to a worker and back costs several times an lz4 or zstd
  // decompression of 4 KiB. Longer reads keep every worker busy instead.
  const bool here = fragments.size() <= kInlineFragments;
  if (!fragments.empty()) {
    op->pending.fetch_add(fragments.size());
    std::vector<Request*> reqs;
    reqs.reserve(fragments.size());
    for (ReadFragment* f : fragments) {
      f->req.on_complete = &VolumeEngine::on_decompressed;
      f->req.inline_ok = here;
      reqs.push_back(&f->req);
    }
    send_decompressions(reqs);
  }
  part_done(op);
  return true;
}

void VolumeEngine::submit_decompression(ReadFragment* f) {
  f->req.on_complete = &VolumeEngine::on_decompressed;
  f->req.user = f;
  to_decompress_.push_back(&f->req);
}

void VolumeEngine::submit_decompressions() {
  // As for compression: one batch per turn of the engine loop wakes each device worker once
  // for all the fragments the turn's reads need, instead of once per fragment.
  if (to_decompress_.empty()) return;
  std::vector<Request*> reqs = std::move(to_decompress_);
  to_decompress_.clear();
  send_decompressions(reqs);
}

void VolumeEngine::send_decompressions(std::span<Request* const> reqs) {
  send_batched(reqs, [](VolumeEngine* e, Request* req) {
    e->decompressed(static_cast<ReadFragment*>(req->user));
  });
}

void VolumeEngine::on_decompressed(Request* req) {
  auto* f = static_cast<ReadFragment*>(req->user);
  f->engine->decompressed(f);
}

void VolumeEngine::decompressed(ReadFragment* f) {
  const Result& r = f->req.result;
  Op* op = f->op;
  if (r.status != Status::kOk || !r.end || r.produced != kBlockSize) {
    fail_op(op, StoreStatus::Corruption("fragment does not expand to one 4 KiB block (" +
                                        std::string(to_string(r.status)) + ")"));
  }
  delete f;
  part_done(op);
}

void VolumeEngine::start_extents(Op* op) {
  op->pending = 1;
  std::vector<VolumeExtent>& out = *op->extents;
  for (uint64_t i = 0; i < op->blocks; ++i) {
    const uint64_t lbn = op->lbn + i;
    VolumeExtent x;
    x.length = kVolumeBlockSize;
    auto rec = inflight_.find(lbn);
    if (rec != inflight_.end() && !rec->second.pending.empty() &&
        rec->second.pending.rbegin()->first > rec->second.mapped_seq) {
      x.zero = rec->second.pending.rbegin()->second->zero;
    } else {
      StoreResult<MapEntry> e = meta_->lookup(lbn);
      if (!e.ok()) {
        fail_op(op, e.status);
        break;
      }
      x.hole = e.value.kind == MapEntry::Kind::kUnmapped;
      x.zero = x.hole || e.value.kind == MapEntry::Kind::kZero;
    }
    if (!out.empty() && out.back().hole == x.hole && out.back().zero == x.zero) {
      out.back().length += x.length;
    } else {
      out.push_back(x);
    }
  }
  part_done(op);
}

}  // namespace accz::store
