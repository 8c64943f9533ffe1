// abi_bridge.h — translation between accz's C++ request/result/device types and the plugin
// C ABI (accz/provider_abi.h).
//
// Promise: a translated request points at exactly the caller's buffers (nothing is copied),
// and a plugin's result or device info is checked before accz trusts it — a status outside
// the enum, or counts larger than the buffers, become kDeviceError rather than reads or
// writes past the caller's memory.
//
// Thread-safety: CRequest is immutable after construction; the functions are pure.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "accz/device.h"
#include "accz/provider_abi.h"
#include "accz/request.h"

namespace accz::plugin {

// A Request as the C ABI sees it. Holds the iovec arrays, so it must stay put (it is neither
// copyable nor movable) and outlive the plugin's use of get().
class CRequest {
 public:
  explicit CRequest(const Request& req);
  CRequest(const CRequest&) = delete;
  CRequest& operator=(const CRequest&) = delete;

  const accz_request* get() const { return &c_; }

 private:
  // Most requests have one or two buffers each way; small lists need no allocation.
  static constexpr size_t kInline = 4;
  std::array<accz_const_iovec, kInline> src_inline_{};
  std::array<accz_iovec, kInline> dst_inline_{};
  std::vector<accz_const_iovec> src_heap_;
  std::vector<accz_iovec> dst_heap_;
  accz_request c_{};
};

// Fills `out` from the plugin's result for `req`; out-of-range values become kDeviceError.
void to_result(const accz_result& in, const Request& req, Result* out);

// A plugin status code as accz::Status (unknown codes: kDeviceError).
Status to_status(uint32_t s);

// DeviceInfo from the plugin's description; `provider` is "plugin:<path>".
DeviceInfo to_device_info(const accz_device_info& in, const std::string& provider,
                          const char* provider_name);

// True if `req`'s framing, level and size are inside what `info` advertises.
bool within_limits(const DeviceInfo& info, const Request& req);

}  // namespace accz::plugin
