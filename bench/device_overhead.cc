// device_overhead — what the cpu device's queues cost over calling an engine directly.
//
// For 4 KiB blocks of text-like data (deflate makes them about half their size), compresses
// the same number of blocks three ways on T threads:
//   direct  T threads, each with its own Compressor, calling the engine in a loop;
//   device  the cpu device with T instances, talked to directly: one submitter thread sends
//           batches asynchronously with a bounded in-flight window per instance, and
//           completions arrive by callback on the device's worker threads;
//   accel   the same through Accel::submit_batch and Request::on_complete (routing, request
//           state tracking and delivery on top of the device).
// and prints MB/s (of input) for each and their ratio to direct, and "dev cpu%": the CPU time
// the device mode used as a percentage of the direct mode's (the same blocks; above 100 is
// the device's cost in CPU, robust to a busy machine). The acceptance goal is device >= 90%
// of direct. The device also computes each request's CRC-32, which the direct
// loop does not. Each figure is the best of --reps runs, the modes interleaved, because the
// machine may be shared.
//
// Usage: device_overhead [--threads N] [--mb N | --seconds S] [--reps N] [--batch N]
//                        [--window N] [--depth N] [--no-accel]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "accz/accel.h"
#include "accz/engine.h"
#include "providers/cpu/cpu_device.h"
#include "util/datagen.h"

namespace accz {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kBlock = 4096;

struct Options {
  uint32_t threads = std::max(1u, std::thread::hardware_concurrency());
  double mb = 256;     // total input per measurement, in MB (1e6 bytes)
  double seconds = 0;  // if set: direct runs this long, the device then does the same work
  int reps = 3;
  uint32_t batch = 64;    // requests per submit_batch
  uint32_t window = 256;  // requests in flight per instance
  uint32_t depth = 1024;  // device queue depth per instance
  bool accel = true;      // also measure through Accel::submit_batch
};

struct Case {
  const char* algorithm;
  int level;  // as the request states it (zlib scale for deflate)
  Framing framing;
  const char* engine;  // what the device picks for this request shape
};

constexpr Case kCases[] = {
    {"lz4", 1, Framing::kLz4Block, "lz4"},
    {"deflate", 1, Framing::kRaw, "libdeflate"},
    {"deflate", 6, Framing::kRaw, "libdeflate"},
};

// The input: 8 MiB of text-like data, cut into 4 KiB blocks used round-robin.
struct Corpus {
  std::vector<uint8_t> bytes;
  size_t blocks = 0;
  ByteSpan block(size_t i) const { return ByteSpan(bytes).subspan((i % blocks) * kBlock, kBlock); }
};

Corpus make_corpus() {
  Corpus c;
  // English-like text: deflate gives about 50% on 4 KiB blocks (lz4 about 80%).
  c.bytes = datagen::text(8 << 20, 42);
  c.blocks = c.bytes.size() / kBlock;
  return c;
}

// CPU time of the whole process (every thread): unlike wall time, it is barely disturbed by
// other work on a shared machine, so it shows the device's cost per block robustly.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// --- direct: engine calls on T threads ---

struct DirectRun {
  double seconds = 0;
  size_t blocks = 0;
  uint64_t out_bytes = 0;
};

// Runs `blocks` blocks, or (blocks == 0) as many as fit in `limit` seconds.
DirectRun run_direct(const Case& c, const Corpus& corpus, uint32_t threads, size_t blocks,
                     double limit) {
  const Engine* engine = find_engine(c.engine);
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> out_bytes{0};
  std::atomic<bool> start{false}, failed{false};
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      auto comp = engine->compressor(c.level, c.framing);
      std::vector<uint8_t> out(comp->bound(kBlock));
      uint64_t produced = 0;
      while (!start.load(std::memory_order_acquire)) std::this_thread::yield();
      const Clock::time_point t0 = Clock::now();
      // Claim blocks in groups so the shared counter costs nothing measurable; a timed run
      // checks the clock before claiming, so every claimed block is compressed.
      for (;;) {
        if (blocks == 0 && seconds_since(t0) >= limit) break;
        const size_t first = next.fetch_add(64, std::memory_order_relaxed);
        if (blocks != 0 && first >= blocks) break;
        const size_t last = blocks != 0 ? std::min(blocks, first + 64) : first + 64;
        for (size_t i = first; i < last; ++i) {
          CodecResult r = comp->compress(corpus.block(i), out);
          if (r.status != Status::kOk) failed.store(true);
          produced += r.produced;
        }
      }
      out_bytes.fetch_add(produced);
    });
  }
  const Clock::time_point t0 = Clock::now();
  start.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  DirectRun run;
  run.seconds = seconds_since(t0);
  run.blocks = blocks != 0 ? blocks : next.load();
  run.out_bytes = out_bytes.load();
  if (failed.load()) {
    std::fprintf(stderr, "direct %s: engine error\n", c.engine);
    std::exit(1);
  }
  return run;
}

// --- device and accel: asynchronous batches ---

struct AsyncBench;

// A share of the requests in flight with its own window and free list: one per device
// instance when talking to the device, one in all for the Accel (which picks instances).
struct Lane {
  AsyncBench* bench = nullptr;
  uint32_t index = 0;
  uint32_t window = 0;
  std::atomic<uint32_t> inflight{0};
  std::mutex mu;
  std::vector<uint32_t> free;  // guarded by mu
};

struct Slot {
  Request req;
  ByteSpan src[1];
  MutableByteSpan dst[1];
  Lane* lane = nullptr;
  std::vector<uint8_t> out;
};

struct AsyncBench {
  uint32_t batch = 0;
  std::vector<std::unique_ptr<Lane>> lanes;
  std::vector<Slot> slots;
  std::atomic<bool> waiting{false};
  std::atomic<uint32_t> wake{0};
  std::atomic<uint64_t> out_bytes{0};
  std::atomic<uint64_t> completed{0};
  std::atomic<bool> failed{false};

  AsyncBench(uint32_t lane_count, uint32_t window, uint32_t batch_size) : batch(batch_size) {
    slots = std::vector<Slot>(size_t{lane_count} * window);
    for (uint32_t l = 0; l < lane_count; ++l) {
      auto lane = std::make_unique<Lane>();
      lane->bench = this;
      lane->index = l;
      lane->window = window;
      for (uint32_t k = 0; k < window; ++k) {
        const uint32_t s = l * window + k;
        slots[s].lane = lane.get();
        slots[s].out.resize(kBlock * 2);
        lane->free.push_back(s);
      }
      lanes.push_back(std::move(lane));
    }
  }

  // On a device worker thread: recycle the slot, and wake the submitter only when the lane
  // has room for a whole batch again (at most one wake-up per batch).
  void done(Request* req) {
    Slot* slot = static_cast<Slot*>(req->user);
    if (req->result.status != Status::kOk) failed.store(true, std::memory_order_relaxed);
    out_bytes.fetch_add(req->result.produced, std::memory_order_relaxed);
    Lane& lane = *slot->lane;
    {
      std::lock_guard lock(lane.mu);
      lane.free.push_back(static_cast<uint32_t>(slot - slots.data()));
    }
    const uint32_t left = lane.inflight.fetch_sub(1, std::memory_order_seq_cst) - 1;
    completed.fetch_add(1, std::memory_order_seq_cst);
    if (left + batch <= lane.window || left == 0) {
      if (waiting.exchange(false, std::memory_order_seq_cst)) {
        wake.fetch_add(1, std::memory_order_seq_cst);
        wake.notify_one();
      }
    }
  }

  // Sleeps until done() signals, unless `ready` turns true after announcing the wait.
  template <typename Ready>
  void wait_unless(Ready ready) {
    const uint32_t seen = wake.load(std::memory_order_seq_cst);
    waiting.store(true, std::memory_order_seq_cst);
    if (ready()) {
      waiting.store(false, std::memory_order_seq_cst);
      return;
    }
    wake.wait(seen, std::memory_order_seq_cst);
  }

  // Submits `blocks` blocks through `submit(batch, lane) -> taken`; returns the seconds from
  // the first submit to the last completion.
  template <typename Submit>
  double run(const Case& c, const Corpus& corpus, size_t blocks, CompletionFn on_complete,
             Submit submit) {
    std::vector<Slot*> picked;
    std::vector<Request*> reqs;
    size_t next_block = 0;
    uint32_t rr = 0;
    const Clock::time_point t0 = Clock::now();
    while (next_block < blocks) {
      bool progressed = false;
      for (uint32_t k = 0; k < lanes.size() && next_block < blocks; ++k) {
        Lane& lane = *lanes[(rr + k) % lanes.size()];
        const auto n = static_cast<uint32_t>(std::min<size_t>(batch, blocks - next_block));
        if (lane.inflight.load(std::memory_order_seq_cst) + n > lane.window) continue;
        picked.clear();
        {
          std::lock_guard lock(lane.mu);
          for (uint32_t j = 0; j < n; ++j) {
            picked.push_back(&slots[lane.free.back()]);
            lane.free.pop_back();
          }
        }
        reqs.clear();
        for (size_t j = 0; j < picked.size(); ++j) {
          Slot& slot = *picked[j];
          slot.req = Request{};
          slot.req.op = Operation::kCompress;
          slot.req.framing = c.framing;
          slot.req.level = c.level;
          slot.src[0] = corpus.block(next_block + j);
          slot.dst[0] = slot.out;
          slot.req.src = slot.src;
          slot.req.dst = slot.dst;
          slot.req.user = &slot;
          slot.req.on_complete = on_complete;
          reqs.push_back(&slot.req);
        }
        lane.inflight.fetch_add(n, std::memory_order_seq_cst);
        const size_t taken = submit(std::span<Request* const>(reqs), lane.index);
        next_block += taken;
        if (taken < n) {
          // Backpressure: hand the refused slots back and come again later.
          std::lock_guard lock(lane.mu);
          for (size_t j = taken; j < n; ++j) {
            lane.free.push_back(static_cast<uint32_t>(picked[j] - slots.data()));
          }
          lane.inflight.fetch_sub(static_cast<uint32_t>(n - taken), std::memory_order_seq_cst);
        }
        progressed = progressed || taken != 0;
      }
      rr = (rr + 1) % static_cast<uint32_t>(lanes.size());
      if (progressed) continue;
      // Every lane is full: sleep until a completion makes room for a batch.
      wait_unless([&] {
        for (auto& lane : lanes) {
          if (lane->inflight.load(std::memory_order_seq_cst) + batch <= lane->window) return true;
        }
        return false;
      });
    }
    while (completed.load(std::memory_order_seq_cst) != blocks) {
      wait_unless([&] { return completed.load(std::memory_order_seq_cst) == blocks; });
    }
    return seconds_since(t0);
  }
};

struct SinkAdapter : CompletionSink {
  AsyncBench* bench = nullptr;
  void complete(Request* req) override { bench->done(req); }
};

void on_accel_complete(Request* req) { static_cast<Slot*>(req->user)->lane->bench->done(req); }

struct AsyncRun {
  double seconds = 0;
  uint64_t out_bytes = 0;
};

// The cpu device with T instances, one lane per instance, talked to directly.
AsyncRun run_device(const Case& c, const Corpus& corpus, const Options& opt, size_t blocks) {
  AsyncBench bench(opt.threads, opt.window, opt.batch);
  SinkAdapter sink;
  sink.bench = &bench;
  auto device = make_cpu_device({.instances = opt.threads, .queue_depth = opt.depth}, &sink);
  AsyncRun run;
  run.seconds =
      bench.run(c, corpus, blocks, nullptr, [&](std::span<Request* const> reqs, uint32_t lane) {
        return device->submit_batch(reqs, lane);
      });
  run.out_bytes = bench.out_bytes.load();
  device.reset();
  if (bench.failed.load()) {
    std::fprintf(stderr, "device %s: request failed\n", c.algorithm);
    std::exit(1);
  }
  return run;
}

// The same work through Accel::submit_batch (routing, state tracking, delivery), with one
// window as large as all the device lanes together.
AsyncRun run_accel(const Case& c, const Corpus& corpus, const Options& opt, size_t blocks) {
  AsyncBench bench(1, opt.threads * opt.window, opt.batch);
  AccelOptions options;
  options.cpu_instances = opt.threads;
  options.queue_depth = opt.depth;
  std::string error;
  auto accel = Accel::open(options, &error);
  if (accel == nullptr) {
    std::fprintf(stderr, "Accel::open: %s\n", error.c_str());
    std::exit(1);
  }
  AsyncRun run;
  run.seconds = bench.run(
      c, corpus, blocks, on_accel_complete,
      [&](std::span<Request* const> reqs, uint32_t) { return accel->submit_batch(reqs); });
  run.out_bytes = bench.out_bytes.load();
  accel.reset();
  if (bench.failed.load()) {
    std::fprintf(stderr, "accel %s: request failed\n", c.algorithm);
    std::exit(1);
  }
  return run;
}

bool parse_args(int argc, char** argv, Options* opt) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](double* out) {
      if (i + 1 >= argc) return false;
      char* end = nullptr;
      *out = std::strtod(argv[++i], &end);
      return end != nullptr && *end == '\0' && *out > 0;
    };
    double v = 0;
    if (a == "--threads" && value(&v)) {
      opt->threads = static_cast<uint32_t>(v);
    } else if (a == "--mb" && value(&v)) {
      opt->mb = v;
      opt->seconds = 0;
    } else if (a == "--seconds" && value(&v)) {
      opt->seconds = v;
    } else if (a == "--reps" && value(&v)) {
      opt->reps = static_cast<int>(v);
    } else if (a == "--batch" && value(&v)) {
      opt->batch = static_cast<uint32_t>(v);
    } else if (a == "--window" && value(&v)) {
      opt->window = static_cast<uint32_t>(v);
    } else if (a == "--depth" && value(&v)) {
      opt->depth = static_cast<uint32_t>(v);
    } else if (a == "--no-accel") {
      opt->accel = false;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--threads N] [--mb N | --seconds S] [--reps N] [--batch N] "
                   "[--window N] [--depth N] [--no-accel]\n",
                   argv[0]);
      return false;
    }
  }
  if (opt->threads == 0 || opt->batch == 0 || opt->window < opt->batch ||
      opt->depth < opt->window) {
    std::fprintf(stderr, "need threads >= 1, batch >= 1, window >= batch, depth >= window\n");
    return false;
  }
  return true;
}

int run(int argc, char** argv) {
  Options opt;
  if (!parse_args(argc, argv, &opt)) return 2;
  const Corpus corpus = make_corpus();
  std::printf("4 KiB blocks, %u threads, batch %u, window %u/instance, depth %u, best of %d\n",
              opt.threads, opt.batch, opt.window, opt.depth, opt.reps);
  std::printf("%-8s %5s %7s %12s %12s %9s %12s %9s %8s %7s\n", "algo", "level", "threads",
              "direct MB/s", "device MB/s", "device %", "accel MB/s", "accel %", "dev cpu%",
              "ratio");
  for (const Case& c : kCases) {
    if (find_engine(c.engine) == nullptr) {
      std::printf("%-8s %5d   (engine %s not built)\n", c.algorithm, c.level, c.engine);
      continue;
    }
    size_t blocks = static_cast<size_t>(opt.mb * 1e6 / kBlock);
    double best_direct = 0, best_device = 0, best_accel = 0;
    double direct_cpu = 1e300, device_cpu = 1e300;
    uint64_t out_bytes = 0;
    auto mbps = [&](double seconds) {
      return static_cast<double>(blocks * kBlock) / seconds / 1e6;
    };
    for (int rep = 0; rep < opt.reps; ++rep) {
      const bool timed = opt.seconds > 0 && rep == 0;
      double cpu0 = process_cpu_seconds();
      DirectRun d = run_direct(c, corpus, opt.threads, timed ? 0 : blocks, opt.seconds);
      direct_cpu = std::min(direct_cpu, process_cpu_seconds() - cpu0);
      if (timed) blocks = d.blocks;  // the device then does the same work
      best_direct = std::max(best_direct, mbps(d.seconds));
      cpu0 = process_cpu_seconds();
      AsyncRun v = run_device(c, corpus, opt, blocks);
      device_cpu = std::min(device_cpu, process_cpu_seconds() - cpu0);
      best_device = std::max(best_device, mbps(v.seconds));
      out_bytes = v.out_bytes;
      if (opt.accel) {
        best_accel = std::max(best_accel, mbps(run_accel(c, corpus, opt, blocks).seconds));
      }
    }
    std::printf("%-8s %5d %7u %12.1f %12.1f %8.1f%% %12.1f %8.1f%% %7.1f%% %6.1f%%\n", c.algorithm,
                c.level, opt.threads, best_direct, best_device, 100.0 * best_device / best_direct,
                best_accel, 100.0 * best_accel / best_direct, 100.0 * device_cpu / direct_cpu,
                100.0 * static_cast<double>(out_bytes) / static_cast<double>(blocks * kBlock));
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace accz

int main(int argc, char** argv) { return accz::run(argc, argv); }
