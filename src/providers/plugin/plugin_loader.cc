// load_plugin_devices: open a plugin, probe it, wrap each of its devices.
#include "providers/plugin/plugin_loader.h"

#include "providers/plugin/plugin_device.h"
#include "providers/plugin/plugin_library.h"

namespace accz {

std::vector<std::unique_ptr<Device>> load_plugin_devices(const std::string& path,
                                                         const ProviderConfig& config,
                                                         CompletionSink* sink, std::string* error) {
  std::vector<std::unique_ptr<Device>> devices;
  if (error) error->clear();
  accz_provider_config c{};
  c.instances = 0;  // the plugin knows its hardware's queue pairs better than we do
  c.queue_depth = config.queue_depth;
  c.path = path.c_str();
  uint32_t count = 0;
  std::shared_ptr<plugin::Library> lib = plugin::Library::open(path, c, &count, error);
  if (!lib) return devices;
  for (uint32_t i = 0; i < count; ++i) {
    std::unique_ptr<Device> d = plugin::make_plugin_device(lib, i, sink, error);
    if (!d) return {};  // all or nothing: a half-described plugin is not one to route to
    devices.push_back(std::move(d));
  }
  return devices;
}

}  // namespace accz
