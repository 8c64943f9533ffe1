// store_engine — the block store's engine alone (no NBD): MB/s of sequential 4 KiB-block
// writes of a 50%-duplicate, 50%-compressible stream through a Volume, then of reading it
// all back, with the space saving and the process's memory.
//
// The stream: block i of the volume is, with probability 1/2 (once there is one), a copy of
// a unique block written at least 4 MiB earlier in the stream, else a new unique block;
// unique blocks are half incompressible (random bytes) and half English-like text (a 4 KiB
// slice of an 8 MiB datagen text corpus with a unique 16-byte tag). Writers: --threads ×
// --writers threads, each writing its own contiguous slice of the volume front to back in
// 4 KiB requests, --window of them in flight (async, completion by callback). The Accel gets
// --threads CPU instances, so "threads" is the number of compression workers; the writers
// only submit. The write phase ends with a FLUSH (included in its time); the read phase
// reads every block back the same way and compares it with what was written (outside the
// callbacks), failing loudly on a mismatch. Each of --reps runs starts from a fresh volume;
// the best write and read figures are reported, because the machine may be shared.
//
// The volume lives on a FileBacking file (default in /dev/shm, so the figures are the
// engine's, not a disk's), created fresh and removed at exit unless --keep.
//
// Usage: store_engine [--mb N] [--algo lz4|deflate|zstd|none] [--threads N] [--writers N]
//                     [--window N] [--reps N] [--dir DIR] [--keep]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "accz/accel.h"
#include "store/backing/file_backing.h"
#include "store/engine/volume.h"
#include "store/volume/superblock_io.h"
#include "util/datagen.h"
#include "util/rng.h"

namespace accz::store {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kBlock = kVolumeBlockSize;
constexpr uint64_t kDupDistance = 1024;  // 4 MiB: duplicates repeat blocks already stored

struct Options {
  double mb = 256;  // logical data written, in MB (1e6 bytes)
  VolumeAlgorithm algo = VolumeAlgorithm::kLz4;
  uint32_t threads = 1;
  uint32_t writers = 2;  // writer threads per compression thread
  uint32_t window = 32;  // requests in flight per writer
  std::string dir = "/dev/shm";
  bool keep = false;
  int reps = 3;  // each on a fresh volume; the best is reported (the machine may be shared)
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "store_engine: %s\nusage: store_engine [--mb N] [--algo lz4|deflate|zstd|none] "
               "[--threads N] [--writers N] [--window N] [--reps N] [--dir DIR] [--keep]\n",
               msg);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (a == "--mb") {
      o.mb = std::atof(value());
    } else if (a == "--algo") {
      const std::string_view v = value();
      if (v == "lz4") {
        o.algo = VolumeAlgorithm::kLz4;
      } else if (v == "deflate") {
        o.algo = VolumeAlgorithm::kDeflate;
      } else if (v == "zstd") {
        o.algo = VolumeAlgorithm::kZstd;
      } else if (v == "none") {
        o.algo = VolumeAlgorithm::kNone;
      } else {
        usage("unknown --algo");
      }
    } else if (a == "--threads") {
      o.threads = static_cast<uint32_t>(std::atoi(value()));
    } else if (a == "--writers") {
      o.writers = static_cast<uint32_t>(std::atoi(value()));
    } else if (a == "--window") {
      o.window = static_cast<uint32_t>(std::atoi(value()));
    } else if (a == "--dir") {
      o.dir = value();
    } else if (a == "--reps") {
      o.reps = std::atoi(value());
    } else if (a == "--keep") {
      o.keep = true;
    } else {
      usage("unknown option");
    }
  }
  if (o.mb <= 0 || o.threads == 0 || o.writers == 0 || o.window == 0 || o.reps < 1)
    usage("bad value");
  return o;
}

// What each logical block holds: a unique block's number; its kind follows from the number.
struct Plan {
  std::vector<uint32_t> unique_of;  // per logical block
  uint64_t uniques = 0;
  uint64_t duplicates = 0;
  std::vector<uint8_t> text;  // the compressible blocks' source

  bool compressible(uint32_t u) const { return (Rng(u * 2654435761u + 17).next() & 1) != 0; }

  void fill(uint32_t u, uint8_t* out) const {
    if (compressible(u)) {
      const size_t slices = text.size() / kBlock;
      std::memcpy(out, text.data() + (u % slices) * kBlock, kBlock);
    } else {
      Rng rng(0x9e3779b97f4a7c15ULL ^ u);
      for (uint64_t i = 0; i < kBlock; i += 8) {
        const uint64_t w = rng.next();
        std::memcpy(out + i, &w, 8);
      }
    }
    const uint64_t tag[2] = {u, 0xacc2ull};  // unique even where text slices repeat
    std::memcpy(out, tag, sizeof tag);
  }
};

Plan make_plan(uint64_t blocks) {
  Plan p;
  p.text = datagen::text(8 << 20, 42);
  p.unique_of.resize(blocks);
  Rng rng(7);
  std::vector<uint64_t> first_pos;
  uint64_t eligible = 0;
  for (uint64_t i = 0; i < blocks; ++i) {
    while (eligible < first_pos.size() && first_pos[eligible] + kDupDistance <= i) ++eligible;
    if (eligible > 0 && rng.chance(1, 2)) {
      p.unique_of[i] = rng.below(static_cast<uint32_t>(eligible));
      ++p.duplicates;
    } else {
      p.unique_of[i] = static_cast<uint32_t>(p.uniques++);
      first_pos.push_back(i);
    }
  }
  return p;
}

// One writer's (or reader's) requests in flight: a ring of buffers, each free again once its
// completion has run.
class Window {
 public:
  explicit Window(uint32_t n)
      : bufs_(n, std::vector<uint8_t>(kBlock)), lbn_(n, UINT64_MAX), busy_(n) {}

  // Waits for slot `i` to be free; returns the lbn it last carried (or UINT64_MAX).
  uint64_t acquire(uint32_t i) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !busy_[i]; });
    if (!status_[i].ok() && first_error_.ok()) first_error_ = status_[i];
    const uint64_t prev = lbn_[i];
    busy_[i] = true;
    return prev;
  }
  void set_lbn(uint32_t i, uint64_t lbn) { lbn_[i] = lbn; }
  uint8_t* buf(uint32_t i) { return bufs_[i].data(); }
  VolumeCallback done(uint32_t i) {
    return [this, i](StoreStatus s) {
      std::lock_guard lock(mu_);
      status_[i] = std::move(s);
      busy_[i] = false;
      cv_.notify_all();
    };
  }
  uint32_t size() const { return static_cast<uint32_t>(bufs_.size()); }
  StoreStatus first_error() {
    std::lock_guard lock(mu_);
    return first_error_;
  }

 private:
  std::vector<std::vector<uint8_t>> bufs_;
  std::vector<uint64_t> lbn_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bool> busy_;  // guarded by mu_
  std::vector<StoreStatus> status_ = std::vector<StoreStatus>(bufs_.size());
  StoreStatus first_error_;
};

std::string status_line(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return line.substr(std::strlen(key));
  }
  return "?";
}

double kib_to_mib(const std::string& field) { return std::atof(field.c_str()) / 1024.0; }

[[noreturn]] void die(const std::string& what, const StoreStatus& s) {
  std::fprintf(stderr, "store_engine: %s: %s\n", what.c_str(), s.to_string().c_str());
  std::exit(1);
}

// CPU seconds this process has used (every thread: writers, engine, compression workers).
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Measurement {
  double write_seconds = 0, read_seconds = 0;
  double write_cpu = 0, read_cpu = 0;  // CPU seconds, robust to a shared machine
  VolumeStats stats;
};

// One rep: a fresh file and volume, the write phase (with its closing FLUSH), the read phase.
Measurement measure(const Options& o, const Plan& plan, Accel& accel, const std::string& path) {
  const uint64_t blocks = plan.unique_of.size();
  const uint32_t workers = o.threads * o.writers;
  ::unlink(path.c_str());
  // The logical size, then room for the journal, the block map and counts, and slack.
  const uint64_t dev_bytes = blocks * kBlock + (uint64_t{64} << 20);
  auto file = FileBacking::open(path, {.create = true, .size = dev_bytes});
  if (!file.ok()) die(path, file.status);
  BackingStore& dev = *file.value;
  CreateOptions c;
  c.logical_blocks = blocks;
  c.algorithm = o.algo;
  if (auto created = create_volume(dev, c); !created.ok()) die("create", created.status);
  VolumeOptions vo;
  vo.accel = &accel;
  auto opened = Volume::open(dev, vo);
  if (!opened.ok()) die("open", opened.status);
  Volume& v = *opened.value;

  // Each worker: a contiguous slice, front to back, `window` requests in flight.
  auto phase = [&](bool writing) {
    std::atomic<uint64_t> mismatches{0};
    std::vector<StoreStatus> errors(workers);
    std::vector<std::thread> threads;
    for (uint32_t w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] {
        const uint64_t begin = blocks * w / workers, end = blocks * (w + 1) / workers;
        Window win(o.window);
        std::vector<uint8_t> expect(kBlock);
        auto verify = [&](uint32_t slot, uint64_t lbn) {
          if (writing || lbn == UINT64_MAX) return;
          plan.fill(plan.unique_of[lbn], expect.data());
          if (std::memcmp(win.buf(slot), expect.data(), kBlock) != 0) ++mismatches;
        };
        uint32_t slot = 0;
        for (uint64_t lbn = begin; lbn < end; ++lbn, slot = (slot + 1) % win.size()) {
          verify(slot, win.acquire(slot));
          win.set_lbn(slot, lbn);
          if (writing) {
            plan.fill(plan.unique_of[lbn], win.buf(slot));
            v.write(lbn * kBlock, ByteSpan(win.buf(slot), kBlock), false, win.done(slot));
          } else {
            v.read(lbn * kBlock, MutableByteSpan(win.buf(slot), kBlock), win.done(slot));
          }
        }
        for (uint32_t i = 0; i < win.size(); ++i, slot = (slot + 1) % win.size()) {
          verify(slot, win.acquire(slot));
        }
        errors[w] = win.first_error();
      });
    }
    for (auto& t : threads) t.join();
    for (const StoreStatus& s : errors) {
      if (!s.ok()) die(writing ? "write" : "read", s);
    }
    if (mismatches > 0) {
      std::fprintf(stderr, "store_engine: %llu blocks read back wrong\n",
                   static_cast<unsigned long long>(mismatches.load()));
      std::exit(1);
    }
  };

  Measurement m;
  const double c0 = cpu_seconds();
  const auto t0 = Clock::now();
  phase(true);
  if (StoreStatus s = v.flush_sync(); !s.ok()) die("flush", s);
  const auto t1 = Clock::now();
  const double c1 = cpu_seconds();
  phase(false);
  const auto t2 = Clock::now();
  const double c2 = cpu_seconds();
  m.write_cpu = c1 - c0;
  m.read_cpu = c2 - c1;
  m.stats = v.stats();
  if (StoreStatus s = v.close(); !s.ok()) die("close", s);
  m.write_seconds = std::chrono::duration<double>(t1 - t0).count();
  m.read_seconds = std::chrono::duration<double>(t2 - t1).count();
  return m;
}

int run(const Options& o) {
  const uint64_t blocks = static_cast<uint64_t>(o.mb * 1e6) / kBlock;
  const Plan plan = make_plan(blocks);
  const std::string path = o.dir + "/accz-store-engine-" + std::to_string(getpid()) + ".img";
  struct Remove {
    std::string path;
    bool keep;
    ~Remove() {
      if (!keep) ::unlink(path.c_str());
    }
  } remove{path, o.keep};

  AccelOptions ao;
  ao.cpu_instances = o.threads;
  std::string err;
  auto accel = Accel::open(ao, &err);
  if (!accel) {
    std::fprintf(stderr, "store_engine: Accel::open: %s\n", err.c_str());
    return 1;
  }

  const double mb = static_cast<double>(blocks * kBlock) / 1e6;
  std::printf(
      "store_engine: %s, %u compression thread(s), %u writers x %u in flight, "
      "%.0f MB (%llu blocks) on %s, best of %d\n",
      std::string(to_string(o.algo)).c_str(), o.threads, o.threads * o.writers, o.window, mb,
      static_cast<unsigned long long>(blocks), path.c_str(), o.reps);
  std::printf("  stream: %.1f%% duplicate blocks, %llu unique (half compressible text)\n",
              100.0 * static_cast<double>(plan.duplicates) / static_cast<double>(blocks),
              static_cast<unsigned long long>(plan.uniques));
  double best_write = 0, best_read = 0;
  double min_write_cpu = 1e300, min_read_cpu = 1e300;
  VolumeStats st;
  for (int r = 0; r < o.reps; ++r) {
    const Measurement m = measure(o, plan, *accel, path);
    std::printf(
        "  rep %d: write %8.1f MB/s (%.2f s, flush included, %.2f CPU s), "
        "read %8.1f MB/s (%.2f s, %.2f CPU s)\n",
        r + 1, mb / m.write_seconds, m.write_seconds, m.write_cpu, mb / m.read_seconds,
        m.read_seconds, m.read_cpu);
    best_write = std::max(best_write, mb / m.write_seconds);
    best_read = std::max(best_read, mb / m.read_seconds);
    min_write_cpu = std::min(min_write_cpu, m.write_cpu);
    min_read_cpu = std::min(min_read_cpu, m.read_cpu);
    st = m.stats;
  }
  std::printf("  write %8.1f MB/s  (%.1f MB per CPU second)\n", best_write, mb / min_write_cpu);
  std::printf("  read  %8.1f MB/s  (%.1f MB per CPU second)\n", best_read, mb / min_read_cpu);
  const double per_block = st.compressed_blocks_written == 0
                               ? 0
                               : static_cast<double>(st.compressed_fragments_written) /
                                     static_cast<double>(st.compressed_blocks_written);
  std::printf(
      "  saving %.1f%%: %llu logical blocks used, %llu data blocks; dedupe hits %llu, "
      "%llu fragments in %llu compressed blocks (%.2f per block), %llu stored whole\n",
      st.saving_percent, static_cast<unsigned long long>(st.logical_blocks_used),
      static_cast<unsigned long long>(st.data_blocks_used),
      static_cast<unsigned long long>(st.dedupe_advice_valid),
      static_cast<unsigned long long>(st.compressed_fragments_written),
      static_cast<unsigned long long>(st.compressed_blocks_written), per_block,
      static_cast<unsigned long long>(st.incompressible_blocks));
  const double peak = kib_to_mib(status_line("VmHWM:"));
  std::printf("  memory: peak RSS %.1f MiB, RSS now %.1f MiB (includes the 8 MiB text source)\n",
              peak, kib_to_mib(status_line("VmRSS:")));
  std::printf(
      "RESULT algo=%s threads=%u write_mbs=%.1f read_mbs=%.1f write_mb_per_cpu_s=%.1f "
      "read_mb_per_cpu_s=%.1f saving=%.1f peak_rss_mib=%.1f\n",
      std::string(to_string(o.algo)).c_str(), o.threads, best_write, best_read, mb / min_write_cpu,
      mb / min_read_cpu, st.saving_percent, peak);
  return 0;
}

}  // namespace
}  // namespace accz::store

int main(int argc, char** argv) { return accz::store::run(accz::store::parse(argc, argv)); }
