// options.h — what each `accz` subcommand was asked to do, as parsed from the command line
// (args.cc). Plain values; the subcommands read them and never see argv.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formats.h"

namespace accz::cli {

struct CompressOptions {
  bool decompress = false;       // -d
  bool test = false;             // -t: decompress, check, write nothing
  int level = -1;                // -1..-9; -1: the format's default
  uint32_t threads = 0;          // -T: cpu device instances; 0: one per core
  bool keep = false;             // -k: keep the input file
  bool to_stdout = false;        // -c
  bool force = false;            // -f: overwrite, allow a terminal, follow links
  int verbosity = 1;             // -q: 0, default: 1, -v: 2
  bool store_name = true;        // -N (default) / -n: name and mtime in the gzip header
  std::string suffix;            // -S; empty: the format's own
  std::optional<Format> format;  // --format; compress default gzip, decompress: detected
  bool progress = true;          // --no-progress turns the stderr bar off
  size_t chunk_size = 0;         // --chunk-size (bytes); 0: chosen per format and level
  std::string strategy;          // --strategy members|stream|auto (parallel gzip layout)
  std::string fault_spec;        // --fault: route through a fault-injecting device (demo, tests)
  std::vector<std::string> plugins;  // --plugin: provider plugins to load
  bool stats = false;                // --stats: print the devices' counters on stderr at the end
  std::vector<std::string> files;
};

struct DevicesOptions {
  bool json = false;
  std::string fault_spec;
  std::vector<std::string> plugins;
};

struct BenchOptions {
  std::vector<std::string> paths;    // files or directories; empty: generated data
  std::vector<std::string> engines;  // empty: every engine
  std::vector<int> levels;           // empty: a modest default set
  bool json = false;
  bool csv = false;
  double seconds = 0.25;            // minimum measuring time per cell and direction
  size_t generated_size = 2 << 20;  // bytes of each generated kind
};

}  // namespace accz::cli
