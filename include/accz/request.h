// accz/request.h — one asynchronous compression or decompression job, and its result.
//
// A Request is caller-owned memory (stack, array, pool): submitting one allocates nothing, so
// thousands of small 4 KiB requests can be batched cheaply. The framework writes only
// `result` and `internal`.
//
// Ownership (the answer to "when may I free the buffers?"): from a successful submit until the
// completion is delivered — the on_complete callback has been entered, or poll() has returned
// the request — the Request object, the `src`/`dst` span arrays and every byte they point at
// belong to the framework. The caller must neither free nor touch them in that window. After
// delivery they are the caller's again; the framework never touches a delivered request (a
// device that completes late after a timeout has been aborted and can no longer write).
// A submit that returns anything but kOk took nothing: the caller still owns everything.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>

#include "accz/types.h"

namespace accz {

// Why the software floor, not the chosen device, finished a request.
enum class FallbackReason : uint8_t {
  kNone,         // the device did it
  kUnsupported,  // the device refused the request shape
  kBusy,         // the device's queue was full
  kDeviceError,  // the device reported an error
  kTimeout,      // the device did not complete in time and the request was aborted
  kBadOutput,    // the device's output failed verification (truncated or corrupted)
  kCount
};
std::string_view to_string(FallbackReason r);

struct Result {
  Status status = Status::kOk;
  size_t consumed = 0;    // bytes of src used
  size_t produced = 0;    // bytes written to dst, in list order
  uint32_t checksum = 0;  // of the uncompressed bytes: Adler-32 for kZlib framing, else CRC-32,
                          // continuing from Request::checksum_seed
  bool end = false;       // decompress: the end of the (last) stream was reached
  FallbackReason fallback = FallbackReason::kNone;
  std::string_view device;  // name of the device that produced the result ("cpu", "fault"…)
  std::string_view engine;  // engine that ran it, when known ("isal", "libdeflate"…)
};

struct Request;
// Called once per request on a framework thread (a device worker or the completion thread).
// It must not block and must not wait for other completions of the same Accel; it may
// submit new requests (a kBusy answer must then be handled without waiting).
using CompletionFn = void (*)(Request* req);

struct Request {
  // --- what to do ---
  Operation op = Operation::kCompress;
  Framing framing = Framing::kGzip;  // implies the algorithm
  // Deflate: zlib's scale 0 (stored) … 9, -1 = default (6). lz4: 1 fast, 2–12 high
  // compression. zstd: zstd's levels 1–19.
  int level = -1;
  // Compression only. kFinish gives one complete stream (the only mode for kZlib, kGzip,
  // lz4 and zstd). kSync / kFull with kRaw framing give a byte-aligned, non-final deflate
  // piece that can be followed by another request's output (parallel chunks of one stream).
  Flush flush = Flush::kFinish;
  // Compression only: if the output would not be smaller than the input, stop and answer
  // kIncompressible (the caller stores the input) instead of emitting it.
  bool incompressible_ok = false;
  // Compression with kRaw framing only: prime the window (the previous ≤32 KiB of input).
  ByteSpan dictionary;
  // Running checksum to continue from (0 for a fresh CRC-32, 1 for a fresh Adler-32).
  uint32_t checksum_seed = 0;
  // Empty: the device chooses. Else a device that has engines runs only this one.
  std::string_view engine;
  // A hint for small requests: a software device (the cpu floor) may run this one on the
  // submitting thread, inside submit(), instead of handing it to a worker thread — for a
  // 4 KiB decompression the hand-off (a wake-up each way) costs several times the work. The
  // completion (the callback) then runs on the submitting thread before submit() returns.
  // Devices that are not software ignore it; so does every device for requests not marked.
  bool inline_ok = false;

  // --- buffers (see ownership above); read and written in list order ---
  std::span<const ByteSpan> src;
  std::span<const MutableByteSpan> dst;

  // --- completion ---
  CompletionFn on_complete = nullptr;  // nullptr: delivered by Accel::poll()
  void* user = nullptr;                // caller's context, untouched by the framework

  Result result;  // valid once delivered

  // --- the framework's bookkeeping; callers leave it alone ---
  struct Internal {
    // Owned by the Accel (router): set at submit, read at completion. Devices must not
    // write these (they may read `submitted` for latency statistics).
    std::chrono::steady_clock::time_point submitted{};
    void* owner = nullptr;   // the Accel that took it
    void* device = nullptr;  // the Accel's record of the device working on it
    void* waiter = nullptr;  // run(): the synchronous caller's private wait point
    void* next = nullptr;    // completion queue link (poll() mode), after the device let go
    size_t timer_slot = 0;   // position + 1 in the timeout heap; 0: no timer armed
    uint32_t instance = 0;   // queue pair it went to
    uint32_t flags = 0;      // delivery state machine; accessed through std::atomic_ref
    // Owned by the device holding the request, from Device::submit until it calls
    // CompletionSink::complete (or abort() returns true); the Accel never touches them.
    void* link = nullptr;      // intrusive list / queue link
    uint64_t device_data = 0;  // a device's own tag (slot index, sequence number…)
  } internal;

  size_t src_size() const {
    size_t n = 0;
    for (auto s : src) n += s.size();
    return n;
  }
  size_t dst_size() const {
    size_t n = 0;
    for (auto s : dst) n += s.size();
    return n;
  }
};

}  // namespace accz
