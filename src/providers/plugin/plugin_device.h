// plugin_device.h — one device of a loaded plugin, presented as an accz::Device.
//
// Promise: requests are handed to the plugin without copying their buffers; every request
// the plugin accepted reaches the sink exactly once (through the plugin's callback) unless
// abort() returned true; results the plugin reports are range-checked (abi_bridge.h). The
// device is always untrusted, so the router verifies its output. Destruction waits until
// the plugin has completed or given back every request it holds.
//
// Thread-safety: as accz::Device. Completions reach the sink on the plugin's threads (or in
// poll() on the polling thread).
#pragma once

#include <memory>

#include "accz/device.h"
#include "providers/plugin/plugin_library.h"

namespace accz::plugin {

// Device `index` of `lib`, or nullptr with *error set if the plugin cannot describe it.
std::unique_ptr<Device> make_plugin_device(std::shared_ptr<Library> lib, uint32_t index,
                                           CompletionSink* sink, std::string* error);

}  // namespace accz::plugin
