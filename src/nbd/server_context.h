// nbd/server_context.h — what every connection of one Server shares: the options, the
// exports by name and the counters. Internal to the server.
//
// Thread-safety: options and exports are fixed before the first connection and only read
// afterwards; counters are atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "nbd/export.h"
#include "nbd/server.h"

namespace accz::nbd {

struct ExportEntry {
  std::string name;
  std::string description;
  std::shared_ptr<Export> exp;
  // Read once at add_export(): the size and capabilities a client is told must not change
  // while it is connected.
  uint64_t size = 0;
  ExportFeatures features;
  BlockSizes sizes;
};

struct ServerCounters {
  std::atomic<uint64_t> connections_accepted{0}, connections_refused{0}, connections_active{0};
  std::atomic<uint64_t> hard_disconnects{0};
  std::atomic<uint64_t> reads{0}, writes{0}, flushes{0}, trims{0}, write_zeroes{0}, block_status{0};
  std::atomic<uint64_t> bytes_read{0}, bytes_written{0}, error_replies{0}, in_flight{0};
};

struct ServerContext {
  ServerOptions options;
  std::map<std::string, ExportEntry, std::less<>> exports;
  ServerCounters counters;

  const ExportEntry* find(std::string_view name) const {
    auto it = exports.find(name);
    return it == exports.end() ? nullptr : &it->second;
  }
};

}  // namespace accz::nbd
