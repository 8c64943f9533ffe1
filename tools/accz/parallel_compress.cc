// The chunk pipeline: read → submit → (workers compress) → poll → write in order.
#include "parallel_compress.h"

#include <algorithm>
#include <array>
#include <thread>
#include <vector>

namespace accz::cli {
namespace {

constexpr size_t kWindowBytes = 32 * 1024;  // deflate's window: the dictionary per chunk

// The empty final block (BFINAL=1, fixed Huffman, end-of-block) that ends a deflate stream
// whose last chunk ended on a sync flush, and all of an empty stream.
constexpr std::array<uint8_t, 2> kEmptyFinalBlock = {0x03, 0x00};

// Worst case output for a chunk of any of our formats: deflate's stored blocks (5 bytes per
// 64 KiB), lz4's and zstd's raw blocks are all well under 1/8 expansion.
size_t output_bound(size_t n) { return n + n / 8 + 1024; }

struct Slot {
  std::vector<uint8_t> in, out, dict;
  size_t in_len = 0;
  std::array<ByteSpan, 1> src;
  std::array<MutableByteSpan, 1> dst;
  Request req;
  bool done = false;
};

class Pipeline {
 public:
  Pipeline(Accel& accel, const CompressPlan& plan, Input& in, Output& out, const GzipHeader& header,
           Progress& progress)
      : accel_(accel), plan_(plan), in_(in), out_(out), header_(header), progress_(progress) {
    slots_.resize(std::max<uint32_t>(plan.window, 1));
    tail_.reserve(kWindowBytes);
  }

  ~Pipeline() {
    // On an exception, requests may still be in flight and own their slots' buffers; take
    // them all back so that none is left in the Accel's poll queue pointing at freed slots.
    while (in_flight_ > 0) collect(true);
  }

  CompressTotals run() {
    if (plan_.format == Format::kZlib) write(zlib_header_bytes(plan_.level));
    if (plan_.format == Format::kGzip && plan_.layout == Layout::kStream)
      write(gzip_header_bytes(header_));
    bool eof = false;
    while (true) {
      while (!eof && next_read_ - next_write_ < slots_.size()) eof = read_and_submit();
      if (next_write_ == next_read_) break;
      Slot& head = slot(next_write_);
      while (!head.done) collect(true);
      write_chunk(head);
      ++next_write_;
    }
    finish();
    progress_.finish();
    return totals_;
  }

 private:
  Slot& slot(uint64_t seq) { return slots_[seq % slots_.size()]; }

  // Reads the next chunk and submits it; returns true at the end of the input.
  bool read_and_submit() {
    Slot& s = slot(next_read_);
    if (s.in.size() < plan_.chunk_size) {
      s.in.resize(plan_.chunk_size);
      s.out.resize(output_bound(plan_.chunk_size));
    }
    s.in_len = in_.read(s.in);
    totals_.in += s.in_len;
    progress_.update(totals_.in);
    const bool last = s.in_len < plan_.chunk_size;
    if (s.in_len == 0) {
      // Nothing to compress; the stream's end is written by finish(). lz4/zstd still need
      // one (empty) frame if the whole input was empty.
      if (plan_.layout != Layout::kFrames || next_read_ > 0) return true;
    }
    ByteSpan data(s.in.data(), s.in_len);
    if (plan_.format == Format::kZlib) adler_ = adler32(adler_, data);

    Request& r = s.req;
    r = Request{};
    r.op = Operation::kCompress;
    r.level = plan_.level;
    r.framing = plan_.layout == Layout::kFrames ? info(plan_.format).framing : Framing::kRaw;
    r.flush = plan_.layout == Layout::kStream && !last ? Flush::kSync : Flush::kFinish;
    if (plan_.layout == Layout::kStream) {
      s.dict.assign(tail_.begin(), tail_.end());
      r.dictionary = s.dict;
      keep_tail(data);
    }
    s.src[0] = data;
    s.dst[0] = MutableByteSpan(s.out.data(), s.out.size());
    r.src = s.src;
    r.dst = s.dst;
    r.user = &s;
    s.done = false;
    submit(r);
    ++next_read_;
    return last;
  }

  void keep_tail(ByteSpan data) {
    if (data.size() >= kWindowBytes) {
      tail_.assign(data.end() - kWindowBytes, data.end());
    } else {
      tail_.insert(tail_.end(), data.begin(), data.end());
      if (tail_.size() > kWindowBytes) tail_.erase(tail_.begin(), tail_.end() - kWindowBytes);
    }
  }

  void submit(Request& r) {
    while (true) {
      Status st = accel_.submit(&r);
      if (st == Status::kOk) {
        ++in_flight_;
        return;
      }
      if (st != Status::kBusy)
        throw IoError("compression request refused: " + std::string(to_string(st)));
      // Backpressure: make room by collecting a finished request, or give the workers time.
      if (collect(false) == 0) std::this_thread::yield();
    }
  }

  size_t collect(bool wait) {
    std::array<Request*, 16> done;
    size_t n = accel_.poll(done, wait);
    for (size_t i = 0; i < n; ++i) {
      static_cast<Slot*>(done[i]->user)->done = true;
      --in_flight_;
    }
    return n;
  }

  void write_chunk(Slot& s) {
    const Result& res = s.req.result;
    if (res.status != Status::kOk)
      throw IoError("compression failed: " + std::string(to_string(res.status)));
    ByteSpan body(s.out.data(), res.produced);
    switch (plan_.layout) {
      case Layout::kStream:
        crc_ = crc32_combine(crc_, res.checksum, s.in_len);
        write(body);
        ended_ = s.req.flush == Flush::kFinish;
        break;
      case Layout::kMembers: {
        GzipHeader h;
        if (members_ == 0) h = header_;
        h.xfl = header_.xfl;
        write(gzip_header_bytes(h));
        write(body);
        write(gzip_trailer_bytes(res.checksum, s.in_len));
        ++members_;
        break;
      }
      case Layout::kFrames:
        write(body);
        break;
    }
  }

  // Ends the stream when the last chunk did not (the input ended on a chunk boundary).
  void finish() {
    switch (plan_.layout) {
      case Layout::kStream:
        if (!ended_) write(kEmptyFinalBlock);
        if (plan_.format == Format::kGzip) write(gzip_trailer_bytes(crc_, totals_.in));
        if (plan_.format == Format::kZlib) write(zlib_trailer_bytes(adler_));
        break;
      case Layout::kMembers:
        if (members_ == 0) {
          write(gzip_header_bytes(header_));
          write(kEmptyFinalBlock);
          write(gzip_trailer_bytes(0, 0));
        }
        break;
      case Layout::kFrames:
        break;
    }
  }

  template <typename Bytes>
  void write(const Bytes& b) {
    out_.write(ByteSpan(b.data(), b.size()));
    totals_.out += b.size();
  }

  Accel& accel_;
  const CompressPlan& plan_;
  Input& in_;
  Output& out_;
  const GzipHeader& header_;
  Progress& progress_;
  std::vector<Slot> slots_;
  std::vector<uint8_t> tail_;  // the last 32 KiB of input read so far
  uint64_t next_read_ = 0, next_write_ = 0, members_ = 0;
  size_t in_flight_ = 0;
  uint32_t crc_ = 0, adler_ = 1;
  bool ended_ = false;
  CompressTotals totals_;
};

}  // namespace

CompressPlan make_plan(Format format, int cli_level, const std::string& strategy, size_t chunk_size,
                       uint32_t workers) {
  CompressPlan p;
  p.format = format;
  p.level = request_level(format, cli_level);
  if (format == Format::kLz4 || format == Format::kZstd) {
    p.layout = Layout::kFrames;
  } else if (strategy == "stream" || format != Format::kGzip) {
    if (strategy == "members")
      throw IoError("--strategy members is for gzip only (zlib and raw are one stream)");
    p.layout = Layout::kStream;
  } else if (strategy == "members") {
    p.layout = Layout::kMembers;
  } else {
    // The fastest layout whose output is no larger than gzip's at the same level, measured
    // on the 124 MB corpus file (8 x /work/shared/corpus) with -T 2:
    //   level  stream (ISA-L)         members (libdeflate)   gzip
    //   1      0.29 s CPU, 45.41 MB   0.55 s CPU, 41.78 MB   45.62 MB
    //   2      0.31 s CPU, 44.29 MB   0.88 s CPU, 39.97 MB   43.95 MB
    //   3      0.33 s CPU, 42.91 MB   1.06 s CPU, 39.23 MB   42.34 MB
    //   6      (zlib: ~5.7 s CPU)     1.85 s CPU, 38.01 MB   38.55 MB
    // ISA-L's stream wins only at level 1; from 2 up it is larger than gzip, and from 4 up
    // the stream would run on zlib.
    p.layout = p.level == 1 ? Layout::kStream : Layout::kMembers;
  }
  // 1 MiB: members of 256 KiB cost 0.9% in size at -6 (each starts with an empty window),
  // 4 MiB gain only 0.2% but give a 16 MiB file just four chunks to spread over the cores
  // and quadruple the window's memory.
  p.chunk_size = chunk_size > 0 ? chunk_size : size_t{1} << 20;
  p.chunk_size = std::max(p.chunk_size, 2 * kWindowBytes);
  // Two chunks per worker keep every worker fed while the main thread writes, plus two for
  // the reader running ahead.
  p.window = std::max<uint32_t>(workers, 1) * 2 + 2;
  return p;
}

CompressTotals compress_stream(Accel& accel, const CompressPlan& plan, Input& in, Output& out,
                               const GzipHeader& header, Progress& progress) {
  Pipeline p(accel, plan, in, out, header, progress);
  return p.run();
}

}  // namespace accz::cli
