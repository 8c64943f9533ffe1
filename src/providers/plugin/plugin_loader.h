// plugin_loader.h — loads out-of-tree providers (shared objects implementing
// accz/provider_abi.h) and presents their devices as accz::Device.
//
// Thread-safety: loading is done once at Accel::open; the devices are as accz::Device.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "accz/device.h"

namespace accz {

// dlopen()s `path`, checks the ABI version, probes it. On failure returns an empty vector and
// sets *error to a message naming the path and the reason. A plugin that probes no devices
// returns an empty vector with *error left empty.
std::vector<std::unique_ptr<Device>> load_plugin_devices(const std::string& path,
                                                         const ProviderConfig& config,
                                                         CompletionSink* sink, std::string* error);

}  // namespace accz
