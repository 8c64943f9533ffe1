// The cpu device's routing policy; the table is in engine_choice.h.
#include "providers/cpu/engine_choice.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

namespace accz {
namespace {

bool is_deflate(Framing f) { return algorithm_of(f) == Algorithm::kDeflate; }

// Can `caps` run `req` at `level`, one-shot or streaming?
bool fits(const EngineCaps& caps, const Request& req, int level, bool streaming) {
  const Framing f = req.framing;
  if (caps.algorithm != algorithm_of(f)) return false;
  // Deflate engines speak raw deflate; the zlib and gzip wrappers are added around them.
  if (!caps.supports(is_deflate(f) ? Framing::kRaw : f)) return false;
  if (req.op == Operation::kCompress) {
    if (level < caps.min_level || level > caps.max_level) return false;
    if (streaming) {
      return caps.stream_compress && caps.supports(req.flush) &&
             (req.dictionary.empty() || caps.dictionary);
    }
    return caps.max_input == 0 || req.src_size() <= caps.max_input;
  }
  if (streaming) return caps.stream_decompress && (req.dictionary.empty() || caps.dictionary);
  return caps.max_input == 0 || req.src_size() <= caps.max_input;
}

void fill(const Engine* e, const Request& req, int level, int zlib_level, bool streaming,
          EnginePlan* plan) {
  plan->engine = e;
  plan->level = level;
  plan->zlib_level = zlib_level;
  plan->engine_framing = is_deflate(req.framing) ? Framing::kRaw : req.framing;
  plan->streaming = streaming;
}

// The first engine of `names` that exists and fits.
const Engine* first_fit(std::initializer_list<std::string_view> names, const Request& req,
                        int level, bool streaming) {
  for (std::string_view n : names) {
    const Engine* e = find_engine(n);
    if (e != nullptr && fits(e->caps(), req, level, streaming)) return e;
  }
  return nullptr;
}

// Request-level rules that hold whatever engine runs it.
bool shape_ok(const Request& req) {
  if (req.op == Operation::kDecompress) {
    // A dictionary primes a raw deflate window; the wrapped formats carry none of ours.
    return req.dictionary.empty() || req.framing == Framing::kRaw;
  }
  if (req.flush == Flush::kNone) return false;  // a request leaves no stream open to finish
  if (req.flush == Flush::kFinish && req.dictionary.empty()) return true;
  // Non-final pieces and primed windows only make sense for raw deflate (parallel chunks).
  return req.framing == Framing::kRaw;
}

bool wants_streaming(const Request& req) {
  if (!is_deflate(req.framing)) return false;
  if (req.op == Operation::kCompress) return req.flush != Flush::kFinish || !req.dictionary.empty();
  return !req.dictionary.empty();
}

Status choose_named(const Request& req, EnginePlan* plan) {
  const Engine* e = find_engine(req.engine);
  if (e == nullptr) return Status::kUnsupported;
  const EngineCaps& caps = e->caps();
  const int level = req.level == -1 ? caps.default_level : req.level;
  bool streaming = wants_streaming(req);
  // Scattered output is decoded in place when the engine can stream; else through a bounce.
  if (!streaming && req.op == Operation::kDecompress && req.dst.size() > 1 &&
      is_deflate(req.framing) && fits(caps, req, level, true)) {
    streaming = true;
  }
  if (!fits(caps, req, level, streaming)) return Status::kUnsupported;
  fill(e, req, level, std::clamp(level, 0, 9), streaming, plan);
  return Status::kOk;
}

Status choose_default(const Request& req, EnginePlan* plan) {
  const bool compress = req.op == Operation::kCompress;
  const Engine* e = nullptr;
  switch (algorithm_of(req.framing)) {
    case Algorithm::kDeflate: {
      const int level = req.level == -1 ? 6 : req.level;
      if (compress && (level < 0 || level > 9)) return Status::kUnsupported;
      bool streaming = wants_streaming(req);
      if (compress && streaming) {
        e = level >= 1 && level <= 3 ? first_fit({"isal", "zlib"}, req, level, true)
                                     : first_fit({"zlib"}, req, level, true);
      } else if (compress) {
        e = first_fit({"libdeflate", "zlib"}, req, level, false);
      } else if (streaming) {
        e = first_fit({"isal", "zlib"}, req, level, true);
      } else if (req.dst.size() > 1 && (e = first_fit({"isal", "zlib"}, req, level, true))) {
        streaming = true;
      } else {
        e = first_fit({"libdeflate", "isal", "zlib"}, req, level, false);
      }
      if (e == nullptr) return Status::kUnsupported;
      fill(e, req, level, level, streaming, plan);
      return Status::kOk;
    }
    case Algorithm::kLz4: {
      const int level = req.level == -1 ? 1 : req.level;
      e = first_fit({"lz4"}, req, level, false);
      if (e == nullptr) return Status::kUnsupported;
      fill(e, req, level, 0, false, plan);
      return Status::kOk;
    }
    case Algorithm::kZstd: {
      const int level = req.level == -1 ? 3 : req.level;
      e = first_fit({"zstd"}, req, level, false);
      if (e == nullptr) return Status::kUnsupported;
      fill(e, req, level, 0, false, plan);
      return Status::kOk;
    }
  }
  return Status::kUnsupported;
}

}  // namespace

Status choose_engine(const Request& req, EnginePlan* plan) {
  if (!shape_ok(req)) return Status::kUnsupported;
  return req.engine.empty() ? choose_default(req, plan) : choose_named(req, plan);
}

}  // namespace accz
