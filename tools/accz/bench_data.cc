#include "bench_data.h"

#include <algorithm>
#include <filesystem>

#include "file_io.h"
#include "util/datagen.h"

namespace accz::cli {
namespace {

std::vector<uint8_t> read_file(const std::string& path) {
  Input in(path);
  std::vector<uint8_t> data(in.size_hint());
  data.resize(in.read(data));
  return data;
}

}  // namespace

std::vector<BenchSet> load_bench_sets(const std::vector<std::string>& paths,
                                      size_t generated_size) {
  std::vector<BenchSet> sets;
  if (paths.empty()) {
    for (auto kind : {datagen::Kind::kText, datagen::Kind::kBinary, datagen::Kind::kRandom}) {
      BenchSet s;
      s.name = std::string(datagen::to_string(kind)) + " (generated)";
      s.inputs.push_back(datagen::generate({kind, 1, 0.5}, generated_size));
      sets.push_back(std::move(s));
    }
    return sets;
  }
  namespace fs = std::filesystem;
  for (const auto& p : paths) {
    BenchSet s;
    s.name = p;
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> files;
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::end(it);
           it.increment(ec)) {
        if (it->is_regular_file(ec)) files.push_back(it->path().string());
      }
      if (ec) throw IoError(p + ": " + ec.message());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) s.inputs.push_back(read_file(f));
    } else {
      try {
        s.inputs.push_back(read_file(p));
      } catch (const IoError& e) {
        throw IoError(p + ": " + e.what());
      }
    }
    if (s.bytes() == 0) throw IoError(p + ": no data to measure");
    sets.push_back(std::move(s));
  }
  return sets;
}

}  // namespace accz::cli
