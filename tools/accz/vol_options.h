// vol_options.h — what each `accz vol` subcommand was asked to do, as parsed by vol_cmd.cc.
// Plain values; the subcommands never see argv.
#pragma once

#include <cstdint>
#include <string>

namespace accz::cli {

struct VolCreateOptions {
  std::string image;
  uint64_t logical_bytes = 0;   // --size
  uint64_t physical_bytes = 0;  // --physical-size; 0: chosen (see vol_create.h)
  std::string compression = "lz4";
  bool dedupe = true;
  bool force = false;  // overwrite an existing file or device
};

struct VolCheckOptions {
  std::string image;
  bool json = false;
  bool repair = false;  // replay a dirty volume's journal (opens it read-write)
};

struct VolStatsOptions {
  std::string image;    // empty: ask a server
  std::string socket;   // --socket: the NBD socket of a server (its control socket is .ctl)
  std::string control;  // --control: the control socket itself
  bool json = false;
};

struct VolServeOptions {
  std::string image;
  std::string socket;  // Unix socket path; empty with port
  int port = -1;       // TCP port; -1 with socket
  std::string bind = "127.0.0.1";
  std::string control;      // control socket path; empty: <socket>.ctl, none with --port
  std::string export_name;  // advertised name; empty: the default export
  bool read_only = false;
  uint64_t cache_mb = 0;      // block-map cache; 0: the engine's default
  uint64_t index_mb = 0;      // dedup index budget; 0: the engine's default
  uint32_t threads = 0;       // cpu device instances; 0: one per core
  uint32_t connections = 16;  // simultaneous NBD clients
};

}  // namespace accz::cli
