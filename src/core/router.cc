// Device ordering and per-request device choice.
#include "core/router.h"

#include <algorithm>
#include <functional>
#include <set>
#include <thread>

namespace accz {

DeviceStats DeviceSlot::stats() const {
  DeviceStats s = device->stats();
  for (size_t i = 0; i < fallbacks.size(); ++i)
    s.fallbacks[i] += fallbacks[i].load(std::memory_order_relaxed);
  return s;
}

void Router::add(std::unique_ptr<Device> device, bool floor) {
  auto slot = std::make_unique<DeviceSlot>();
  slot->info = device->info();
  if (slot->info.instances == 0) slot->info.instances = 1;
  slot->device = std::move(device);
  slot->floor = floor;
  slots_.push_back(std::move(slot));
}

std::string Router::freeze(bool timeouts_enabled) {
  floor_ = nullptr;
  std::set<std::string> names;
  for (auto& s : slots_) {
    if (!names.insert(s->info.name).second) return "two devices are named '" + s->info.name + "'";
    if (s->floor) {
      if (floor_) return "more than one software floor device";
      if (!s->info.trusted) return "the software floor device '" + s->info.name + "' is untrusted";
      floor_ = s.get();
    }
    s->timed = !s->info.trusted && timeouts_enabled;
  }
  if (!floor_) return "no software floor device";
  std::stable_sort(slots_.begin(), slots_.end(), [](const auto& a, const auto& b) {
    if (a->floor != b->floor) return b->floor;  // the floor sorts last
    return a->info.priority > b->info.priority;
  });
  return "";
}

bool Router::any_timed() const {
  for (auto& s : slots_)
    if (s->timed) return true;
  return false;
}

DeviceSlot* Router::route(const Request& req, size_t src_len) const {
  for (const auto& s : slots_) {
    if (s->floor) return s->device->supports(req) ? s.get() : nullptr;
    const DeviceInfo& i = s->info;
    if (src_len < i.min_offload) continue;
    if (i.max_request && (src_len > i.max_request || req.dst_size() > i.max_request)) continue;
    if (s->device->supports(req)) return s.get();
  }
  return nullptr;
}

uint32_t Router::next_instance(const DeviceSlot& slot) {
  thread_local uint32_t turn =
      static_cast<uint32_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  return turn++ % slot.info.instances;
}

void Router::clear() {
  // Routing order: the floor, which other devices fall back to, goes last.
  for (auto& s : slots_) s.reset();
  slots_.clear();
  floor_ = nullptr;
}

}  // namespace accz
