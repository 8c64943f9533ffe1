// bench_data.h — the inputs `accz bench` measures: files and directories named on the command
// line (one set per argument; a directory's regular files, recursively, sorted), or, with no
// arguments, three sets from util/datagen so the benchmark runs the same anywhere.
//
// Single-threaded; the loaded sets are plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace accz::cli {

struct BenchSet {
  std::string name;                          // "text (generated)", a path…
  std::vector<std::vector<uint8_t>> inputs;  // each compressed on its own
  uint64_t bytes() const {
    uint64_t n = 0;
    for (const auto& i : inputs) n += i.size();
    return n;
  }
};

// Throws IoError (file_io.h) for a path that cannot be read.
std::vector<BenchSet> load_bench_sets(const std::vector<std::string>& paths, size_t generated_size);

}  // namespace accz::cli
