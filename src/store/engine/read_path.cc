// The engine's read path: in-flight data first (read-your-write), then the block map; whole
// blocks are read straight into the caller's buffer, fragments are expanded asynchronously on
// the Accel's devices (one batch per turn of the engine loop), and the request completes when
// its last fragment does.
#include <cstring>
#include <span>
#include <string>

#include "store/engine/volume_engine.h"
#include "store/format/compressed_block.h"
#include "store/format/layout.h"
#include "store/volume/block_io.h"

namespace accz::store {

void VolumeEngine::start_read(Op* op) {
  op->pending = 1;                              // the engine's hold, dropped at the end
  std::shared_ptr<std::vector<uint8_t>> block;  // the last compressed block read
  uint64_t block_pbn = 0;
  for (uint64_t i = 0; i < op->blocks; ++i) {
    const uint64_t lbn = op->lbn + i;
    const MutableByteSpan out = op->out.subspan(i * kVolumeBlockSize, kVolumeBlockSize);
    auto rec = inflight_.find(lbn);
    if (rec != inflight_.end() && !rec->second.pending.empty() &&
        rec->second.pending.rbegin()->first > rec->second.mapped_seq) {
      const BlockWork* b = rec->second.pending.rbegin()->second;
      std::memcpy(out.data(), b->data.data(), kVolumeBlockSize);
      continue;
    }
    StoreResult<MapEntry> e = meta_->lookup(lbn);
    if (!e.ok()) {
      fail_op(op, e.status);
      break;
    }
    switch (e.value.kind) {
      case MapEntry::Kind::kUnmapped:
      case MapEntry::Kind::kZero:
        std::memset(out.data(), 0, out.size());
        break;
      case MapEntry::Kind::kWhole: {
        StoreStatus s = read_block(dev_, e.value.pbn, out);
        if (!s.ok()) fail_op(op, StoreStatus::IoError("reading data block: " + s.message()));
        break;
      }
      case MapEntry::Kind::kFragment: {
        if (!block || block_pbn != e.value.pbn) {
          block = std::make_shared<std::vector<uint8_t>>(kBlockSize);
          block_pbn = e.value.pbn;
          StoreStatus s = read_block(dev_, block_pbn, *block);
          if (!s.ok()) {
            block.reset();
            fail_op(op, StoreStatus::IoError("reading compressed block: " + s.message()));
            break;
          }
        }
        StoreResult<CompressedBlockView> view = parse_compressed_block(*block, algorithm_code_);
        const auto framing = fragment_framing(sb_.algorithm);
        if (!view.ok() || e.value.slot >= view.value.fragment_count || !framing ||
            accel_ == nullptr) {
          fail_op(op, StoreStatus::Corruption("LBN " + std::to_string(lbn) +
                                              " maps a fragment its block does not hold"));
          break;
        }
        auto* f = new ReadFragment;
        f->engine = this;
        f->op = op;
        f->block = block;
        f->req.op = Operation::kDecompress;
        f->req.framing = *framing;
        f->src[0] = view.value.fragments[e.value.slot];
        f->dst[0] = out;
        f->req.src = f->src;
        f->req.dst = f->dst;
        op->pending.fetch_add(1);
        submit_decompression(f);
        break;
      }
    }
    if (op->error.load() != 0) break;
  }
  part_done(op);
}

void VolumeEngine::submit_decompression(ReadFragment* f) {
  f->req.on_complete = &VolumeEngine::on_decompressed;
  f->req.user = f;
  to_decompress_.push_back(&f->req);
}

void VolumeEngine::submit_decompressions() {
  // As for compression: one batch per turn of the engine loop wakes each device worker once
  // for all the fragments the turn's reads need, instead of once per fragment.
  std::vector<Request*> reqs = std::move(to_decompress_);
  to_decompress_.clear();
  size_t i = 0;
  while (i < reqs.size()) {
    i += accel_->submit_batch(std::span<Request* const>(reqs).subspan(i));
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
    decompressed(static_cast<ReadFragment*>(req->user));
  }
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
