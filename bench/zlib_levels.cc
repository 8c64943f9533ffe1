// zlib_levels: which engine level may serve each zlib level, and how fast it can be.
//
// The drop-in serves a zlib level with an engine level only where that engine level is no
// larger than zlib's on every file it is measured on (src/zlib/README.md, "never larger"). This
// program measures that frontier on a set of files: for each zlib level 1-9, every libdeflate
// level (1-12) and ISA-L level (0-3), the files where the engine's output is larger than zlib's,
// the total size against zlib's and the speed against zlib's on one core. Every library is
// called through the project's engines (accz/engine.h) as raw deflate, zlib included, so each
// gets the same 6 bytes of zlib framing added to its size and no Adler-32 in its time.
// A file counts against an engine level when it is at least 4 KiB and zlib compresses it below
// 90% of its size: the drop-in sends smaller inputs to zlib and compares near-incompressible
// output with zlib's anyway.
//
// The last column bounds what any number of threads can give: the fastest safe level's one-core
// speed-up times the cores, as if every file split perfectly and splicing cost nothing. Where
// that bound is under a goal, no scheduling of these engines on this machine meets the goal at
// zlib's size.
//
//   zlib_levels [--reps N] [--cores N] [--matrix] FILE|DIR...
//
// --matrix also prints every (zlib level, engine level) pair. Every output is checked to
// decompress to its input (zlib's uncompress). Times are each file's best of N runs (default 3).
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "accz/engine.h"

namespace {

using Bytes = std::vector<uint8_t>;

struct File {
  std::string name;
  Bytes data;
};

struct Result {
  size_t size = 0;
  double seconds = 0;
};

// One library at one level.
struct Candidate {
  std::string engine;
  int level = 0;
  std::string name() const { return engine + " " + std::to_string(level); }
};

constexpr size_t kZlibFraming = 6;  // 2 header bytes, 4 Adler-32 bytes

void add_path(const std::string& path, std::vector<File>& files) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    std::fprintf(stderr, "zlib_levels: %s: %s\n", path.c_str(), std::strerror(errno));
    std::exit(2);
  }
  if (S_ISDIR(st.st_mode)) {
    DIR* dir = opendir(path.c_str());
    std::vector<std::string> names;
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.' && std::strcmp(e->d_name, "README.md") != 0)
        names.push_back(path + "/" + e->d_name);
    }
    closedir(dir);
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) add_path(n, files);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  File f{path.substr(path.find_last_of('/') + 1), {}};
  f.data.assign(std::istreambuf_iterator<char>(in), {});
  files.push_back(std::move(f));
}

// Best of `reps` one-shot compressions of f by `c`, the output checked against the input by
// zlib's decompressor. The size includes zlib's framing.
Result measure(const File& f, int reps, const Candidate& c, accz::Decompressor& check) {
  const accz::Engine* engine = accz::find_engine(c.engine);
  std::unique_ptr<accz::Compressor> comp =
      engine != nullptr ? engine->compressor(c.level, accz::Framing::kRaw) : nullptr;
  if (comp == nullptr) {
    std::fprintf(stderr, "zlib_levels: no %s compressor\n", c.name().c_str());
    std::exit(1);
  }
  Bytes out(comp->bound(f.data.size()));
  Result r;
  r.seconds = std::numeric_limits<double>::infinity();
  accz::CodecResult made;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    made = comp->compress(f.data, out);
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    r.seconds = std::min(r.seconds, dt.count());
  }
  Bytes back(f.data.size() + 1);
  check.reset();
  const accz::CodecResult got = check.decompress(accz::ByteSpan(out).first(made.produced), back);
  if (made.status != accz::Status::kOk || got.status != accz::Status::kOk ||
      got.produced != f.data.size() || std::memcmp(back.data(), f.data.data(), got.produced) != 0) {
    std::fprintf(stderr, "zlib_levels: %s on %s did not round-trip\n", c.name().c_str(),
                 f.name.c_str());
    std::exit(1);
  }
  r.size = made.produced + kZlibFraming;
  return r;
}

bool counts_against(const File& f, const Result& zlib) {
  return f.data.size() >= 4096 && static_cast<double>(zlib.size) < 0.9 * f.data.size();
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 3;
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  bool matrix = false;
  std::vector<File> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--cores" && i + 1 < argc) {
      cores = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    } else if (a == "--matrix") {
      matrix = true;
    } else if (a.starts_with("--")) {
      std::fprintf(stderr, "usage: zlib_levels [--reps N] [--cores N] [--matrix] FILE|DIR...\n");
      return 2;
    } else {
      add_path(a, files);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: zlib_levels [--reps N] [--cores N] [--matrix] FILE|DIR...\n");
    return 2;
  }

  std::vector<Candidate> candidates;
  for (int l = 1; l <= 12; ++l) candidates.push_back({"libdeflate", l});
  for (int l = 0; l <= 3; ++l) candidates.push_back({"isal", l});
  std::unique_ptr<accz::Decompressor> check =
      accz::find_engine("zlib")->decompressor(accz::Framing::kRaw);

  // zlib[file][0..8]: zlib levels 1-9; engine[file][candidate].
  std::vector<std::vector<Result>> zlib(files.size()), engine(files.size());
  size_t total_in = 0;
  for (size_t fi = 0; fi < files.size(); ++fi) {
    const File& f = files[fi];
    total_in += f.data.size();
    for (int level = 1; level <= 9; ++level)
      zlib[fi].push_back(measure(f, reps, {"zlib", level}, *check));
    for (const Candidate& c : candidates) engine[fi].push_back(measure(f, reps, c, *check));
  }

  std::printf("%zu files, %zu bytes; best of %d; bound for %u cores\n\n", files.size(), total_in,
              reps, cores);
  if (matrix) {
    std::printf("| zlib | engine level | files larger | size / zlib | speed / zlib |\n");
    std::printf("|---|---|---:|---:|---:|\n");
  }
  struct Row {
    double zlib_mbs = 0, safe_speedup = 0, fastest_speedup = 0;
    std::string safe = "none", fastest;
    int fastest_larger = 0;
  };
  std::vector<Row> rows(10);
  for (int level = 1; level <= 9; ++level) {
    double zt = 0;
    size_t zsize = 0;
    for (size_t fi = 0; fi < files.size(); ++fi) {
      zt += zlib[fi][level - 1].seconds;
      zsize += zlib[fi][level - 1].size;
    }
    Row& row = rows[level];
    row.zlib_mbs = total_in / zt / 1e6;
    for (size_t ci = 0; ci < candidates.size(); ++ci) {
      double et = 0;
      size_t esize = 0;
      int larger = 0;
      for (size_t fi = 0; fi < files.size(); ++fi) {
        const Result& z = zlib[fi][level - 1];
        const Result& e = engine[fi][ci];
        et += e.seconds;
        esize += e.size;
        if (counts_against(files[fi], z) && e.size > z.size) ++larger;
      }
      const double speedup = zt / et;
      if (matrix) {
        std::printf("| %d | %s | %d | %.4f | %.2fx |\n", level, candidates[ci].name().c_str(),
                    larger, static_cast<double>(esize) / zsize, speedup);
      }
      if (larger == 0 && speedup > row.safe_speedup) {
        row.safe_speedup = speedup;
        row.safe = candidates[ci].name();
      }
      if (speedup > row.fastest_speedup) {
        row.fastest_speedup = speedup;
        row.fastest = candidates[ci].name();
        row.fastest_larger = larger;
      }
    }
  }
  if (matrix) std::printf("\n");
  std::printf(
      "| zlib level | zlib MB/s | fastest never-larger level | speed-up, 1 core | bound, %u "
      "cores | fastest level (files larger than zlib) | its speed-up |\n",
      cores);
  std::printf("|---|---:|---|---:|---:|---|---:|\n");
  for (int level = 1; level <= 9; ++level) {
    const Row& r = rows[level];
    std::printf("| %d | %.1f | %s | %.2fx | %.2fx | %s (%d) | %.2fx |\n", level, r.zlib_mbs,
                r.safe.c_str(), r.safe_speedup, r.safe_speedup * cores, r.fastest.c_str(),
                r.fastest_larger, r.fastest_speedup);
  }
  return 0;
}
