// Translation between accz requests and the plugin C ABI.
#include "providers/plugin/abi_bridge.h"

#include <algorithm>
#include <cstring>

namespace accz::plugin {

// The ABI promises the same numbers as the C++ enums, so translation is a cast.
static_assert(ACCZ_OP_DECOMPRESS == static_cast<int>(Operation::kDecompress));
static_assert(ACCZ_FRAMING_RAW == static_cast<int>(Framing::kRaw));
static_assert(ACCZ_FRAMING_ZLIB == static_cast<int>(Framing::kZlib));
static_assert(ACCZ_FRAMING_GZIP == static_cast<int>(Framing::kGzip));
static_assert(ACCZ_FRAMING_LZ4_BLOCK == static_cast<int>(Framing::kLz4Block));
static_assert(ACCZ_FRAMING_LZ4_FRAME == static_cast<int>(Framing::kLz4Frame));
static_assert(ACCZ_FRAMING_ZSTD_FRAME == static_cast<int>(Framing::kZstdFrame));
static_assert(ACCZ_FLUSH_SYNC == static_cast<int>(Flush::kSync));
static_assert(ACCZ_FLUSH_FULL == static_cast<int>(Flush::kFull));
static_assert(ACCZ_FLUSH_FINISH == static_cast<int>(Flush::kFinish));
static_assert(ACCZ_STATUS_OUTPUT_OVERFLOW == static_cast<int>(Status::kOutputOverflow));
static_assert(ACCZ_STATUS_INCOMPRESSIBLE == static_cast<int>(Status::kIncompressible));
static_assert(ACCZ_STATUS_BAD_DATA == static_cast<int>(Status::kBadData));
static_assert(ACCZ_STATUS_UNSUPPORTED == static_cast<int>(Status::kUnsupported));
static_assert(ACCZ_STATUS_BUSY == static_cast<int>(Status::kBusy));
static_assert(ACCZ_STATUS_DEVICE_ERROR == static_cast<int>(Status::kDeviceError));

CRequest::CRequest(const Request& req) {
  accz_const_iovec* src = src_inline_.data();
  if (req.src.size() > kInline) {
    src_heap_.resize(req.src.size());
    src = src_heap_.data();
  }
  for (size_t i = 0; i < req.src.size(); ++i) src[i] = {req.src[i].data(), req.src[i].size()};
  accz_iovec* dst = dst_inline_.data();
  if (req.dst.size() > kInline) {
    dst_heap_.resize(req.dst.size());
    dst = dst_heap_.data();
  }
  for (size_t i = 0; i < req.dst.size(); ++i) dst[i] = {req.dst[i].data(), req.dst[i].size()};

  c_.op = static_cast<uint32_t>(req.op);
  c_.framing = static_cast<uint32_t>(req.framing);
  c_.level = req.level;
  c_.flush = static_cast<uint32_t>(req.flush);
  c_.incompressible_ok = req.incompressible_ok ? 1 : 0;
  c_.src = src;
  c_.src_count = req.src.size();
  c_.dst = dst;
  c_.dst_count = req.dst.size();
  c_.dictionary = req.dictionary.empty() ? nullptr : req.dictionary.data();
  c_.dictionary_len = req.dictionary.size();
  c_.checksum_seed = req.checksum_seed;
}

Status to_status(uint32_t s) {
  return s <= ACCZ_STATUS_DEVICE_ERROR ? static_cast<Status>(s) : Status::kDeviceError;
}

void to_result(const accz_result& in, const Request& req, Result* out) {
  *out = Result{};
  out->status = to_status(in.status);
  out->consumed = in.consumed;
  out->produced = in.produced;
  out->checksum = in.checksum;
  out->end = in.end != 0;
  if (in.consumed > req.src_size() || in.produced > req.dst_size()) {
    // A plugin claiming more bytes than the buffers hold is broken; nothing it wrote counts.
    out->status = Status::kDeviceError;
    out->consumed = out->produced = 0;
  }
}

namespace {

std::string bounded(const char* s, size_t cap) { return std::string(s, strnlen(s, cap)); }

}  // namespace

DeviceInfo to_device_info(const accz_device_info& in, const std::string& provider,
                          const char* provider_name) {
  DeviceInfo d;
  d.name = bounded(in.name, sizeof in.name);
  d.provider = provider;
  d.description = bounded(in.description, sizeof in.description);
  if (provider_name && *provider_name)
    d.description += std::string(d.description.empty() ? "" : " ") + "[" + provider_name + "]";
  d.instances = std::max<uint32_t>(in.instances, 1);
  d.queue_depth = in.queue_depth;
  for (uint32_t f = ACCZ_FRAMING_RAW; f <= ACCZ_FRAMING_ZSTD_FRAME; ++f)
    if (in.framings & ACCZ_FRAMING_BIT(f)) d.framings.push_back(static_cast<Framing>(f));
  d.deflate_min_level = in.deflate_min_level;
  d.deflate_max_level = in.deflate_max_level;
  d.lz4_min_level = in.lz4_min_level;
  d.lz4_max_level = in.lz4_max_level;
  d.zstd_min_level = in.zstd_min_level;
  d.zstd_max_level = in.zstd_max_level;
  d.max_request = static_cast<size_t>(in.max_request);
  d.min_offload = static_cast<size_t>(in.min_offload);
  d.trusted = false;  // never: a plugin's output is always verified
  d.priority = in.priority;
  return d;
}

bool within_limits(const DeviceInfo& info, const Request& req) {
  if (std::find(info.framings.begin(), info.framings.end(), req.framing) == info.framings.end())
    return false;
  if (info.max_request && (req.src_size() > info.max_request || req.dst_size() > info.max_request))
    return false;
  if (req.op != Operation::kCompress || req.level == -1) return true;
  switch (algorithm_of(req.framing)) {
    case Algorithm::kDeflate:
      return req.level >= info.deflate_min_level && req.level <= info.deflate_max_level;
    case Algorithm::kLz4:
      return req.level >= info.lz4_min_level && req.level <= info.lz4_max_level;
    case Algorithm::kZstd:
      return req.level >= info.zstd_min_level && req.level <= info.zstd_max_level;
  }
  return false;
}

}  // namespace accz::plugin
