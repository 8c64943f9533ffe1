// Accel::open: probes the providers (cpu always; fault and plugins on request) into an
// AccelImpl.
#include <cstdlib>
#include <string_view>

#include "accz/accel.h"
#include "core/accel_impl.h"
#include "providers/cpu/cpu_device.h"
#include "providers/fault/fault_device.h"
#include "providers/plugin/plugin_loader.h"

namespace accz {
namespace {

// AccelOptions::plugin_paths, then ACCZ_PLUGINS (colon-separated; empty entries skipped).
std::vector<std::string> plugin_paths(const AccelOptions& o) {
  std::vector<std::string> paths = o.plugin_paths;
  if (const char* env = std::getenv("ACCZ_PLUGINS")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      std::string_view item = rest.substr(0, colon);
      if (!item.empty()) paths.emplace_back(item);
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  return paths;
}

std::unique_ptr<Accel> fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return nullptr;
}

}  // namespace

std::unique_ptr<Accel> Accel::open(const AccelOptions& options, std::string* error) {
  if (options.queue_depth == 0) return fail(error, "queue_depth must be at least 1");
  auto accel = std::make_unique<AccelImpl>(options);

  CpuDeviceOptions cpu;
  cpu.instances = options.cpu_instances;
  cpu.queue_depth = options.queue_depth;
  auto floor = make_cpu_device(cpu, accel->sink());
  if (!floor) return fail(error, "the cpu device could not be created");
  accel->add_device(std::move(floor), /*floor=*/true);

  if (!options.fault_spec.empty()) {
    std::string why;
    CpuDeviceOptions inner = cpu;
    inner.name = "fault-inner";
    auto fault = make_fault_device(options.fault_spec, inner, accel->sink(), &why);
    if (!fault) return fail(error, "bad fault spec '" + options.fault_spec + "': " + why);
    accel->add_device(std::move(fault), false);
  }

  ProviderConfig config;
  config.cpu_instances = options.cpu_instances;
  config.queue_depth = options.queue_depth;
  config.fault_spec = options.fault_spec;
  config.plugin_paths = plugin_paths(options);
  for (const std::string& path : config.plugin_paths) {
    std::string why;
    auto devices = load_plugin_devices(path, config, accel->sink(), &why);
    if (!why.empty()) return fail(error, "plugin " + path + ": " + why);
    for (auto& d : devices) accel->add_device(std::move(d), false);
  }

  if (std::string why = accel->start(); !why.empty()) return fail(error, why);
  return accel;
}

}  // namespace accz
