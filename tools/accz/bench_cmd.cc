// Measurement loop and the three output forms (table, CSV, JSON).
#include "bench_cmd.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "accz/engine.h"
#include "bench_data.h"
#include "file_io.h"
#include "report.h"

namespace accz::cli {
namespace {

using Clock = std::chrono::steady_clock;

// The level sets a no-argument run uses: fast, default and best for each family, which keeps
// the whole run (3 data sets of 2 MiB, 0.25 s per measurement) to ~10 s of CPU.
constexpr int kDefaultLevels[] = {1, 6, 9};

struct Cell {
  std::string set, engine;
  int level = 0;
  uint64_t in = 0, out = 0;
  double compress_mbps = 0, decompress_mbps = 0;
  std::optional<double> speedup;  // vs zlib at the same level (deflate engines)
  bool verified = false;
  std::string error;
  double ratio() const { return out ? static_cast<double>(in) / static_cast<double>(out) : 0; }
};

Framing framing_for(const Engine& e) {
  switch (e.caps().algorithm) {
    case Algorithm::kLz4:
      return Framing::kLz4Frame;
    case Algorithm::kZstd:
      return Framing::kZstdFrame;
    default:
      return Framing::kRaw;
  }
}

// Runs `fn` over all inputs until at least `seconds` have passed; returns seconds per pass.
template <typename Fn>
double time_passes(double seconds, Fn&& fn) {
  int passes = 0;
  auto start = Clock::now();
  double elapsed = 0;
  do {
    fn();
    ++passes;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return elapsed / passes;
}

Cell measure(const BenchSet& set, const Engine& engine, int level, double seconds) {
  Cell c;
  c.set = set.name;
  c.engine = std::string(engine.caps().name);
  c.level = level;
  const Framing f = framing_for(engine);
  auto comp = engine.compressor(level, f);
  auto decomp = engine.decompressor(f);
  if (!comp || !decomp) {
    c.error = "unsupported";
    return c;
  }
  std::vector<std::vector<uint8_t>> packed(set.inputs.size());
  std::vector<size_t> packed_len(set.inputs.size());
  for (size_t i = 0; i < set.inputs.size(); ++i)
    packed[i].resize(comp->bound(set.inputs[i].size()));
  bool ok = true;
  double ct = time_passes(seconds, [&] {
    for (size_t i = 0; i < set.inputs.size() && ok; ++i) {
      CodecResult r = comp->compress(set.inputs[i], packed[i]);
      ok = r.status == Status::kOk;
      packed_len[i] = r.produced;
    }
  });
  if (!ok) {
    c.error = "compress failed";
    return c;
  }
  size_t largest = 0;
  for (const auto& in : set.inputs) largest = std::max(largest, in.size());
  std::vector<uint8_t> plain(largest + 64);
  // Verify every input once, then time.
  for (size_t i = 0; i < set.inputs.size(); ++i) {
    CodecResult r = decomp->decompress(ByteSpan(packed[i].data(), packed_len[i]), plain);
    decomp->reset();
    if (r.status != Status::kOk || r.produced != set.inputs[i].size() ||
        std::memcmp(plain.data(), set.inputs[i].data(), r.produced) != 0) {
      c.error = "round trip MISMATCH";
      return c;
    }
  }
  c.verified = true;
  double dt = time_passes(seconds, [&] {
    for (size_t i = 0; i < set.inputs.size(); ++i) {
      decomp->decompress(ByteSpan(packed[i].data(), packed_len[i]), plain);
      decomp->reset();
    }
  });
  c.in = set.bytes();
  for (size_t n : packed_len) c.out += n;
  c.compress_mbps = static_cast<double>(c.in) / 1e6 / ct;
  c.decompress_mbps = static_cast<double>(c.in) / 1e6 / dt;
  return c;
}

std::vector<const Engine*> selected_engines(const std::vector<std::string>& names) {
  std::vector<const Engine*> out;
  if (names.empty()) {
    for (const Engine* e : engines()) out.push_back(e);
    return out;
  }
  for (const auto& n : names) {
    const Engine* e = find_engine(n);
    if (e == nullptr) {
      std::string known;
      for (const Engine* k : engines())
        known += (known.empty() ? "" : ", ") + std::string(k->caps().name);
      throw IoError("unknown engine '" + n + "' (built in: " + known + ")");
    }
    out.push_back(e);
  }
  return out;
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

void print_table(const std::vector<Cell>& cells, const std::string& header) {
  std::printf("%s\n", header.c_str());
  std::string current;
  for (const auto& c : cells) {
    if (c.set != current) {
      current = c.set;
      std::printf("\n%s\n", c.set.c_str());
      std::printf("  %-11s %5s %8s %12s %12s %10s\n", "engine", "level", "ratio", "comp MB/s",
                  "decomp MB/s", "vs zlib");
    }
    if (!c.error.empty()) {
      std::printf("  %-11s %5d  %s\n", c.engine.c_str(), c.level, c.error.c_str());
      continue;
    }
    std::string speedup = c.speedup ? fixed(*c.speedup, 2) + "x" : "-";
    std::printf("  %-11s %5d %8.3f %12.1f %12.1f %10s\n", c.engine.c_str(), c.level, c.ratio(),
                c.compress_mbps, c.decompress_mbps, speedup.c_str());
  }
}

void print_csv(const std::vector<Cell>& cells) {
  std::printf(
      "set,engine,level,bytes_in,bytes_out,ratio,compress_mbps,decompress_mbps,"
      "speedup_vs_zlib,verified\n");
  for (const auto& c : cells) {
    std::string set = c.set;
    std::replace(set.begin(), set.end(), ',', ';');
    std::printf("%s,%s,%d,%llu,%llu,%.4f,%.1f,%.1f,%s,%s\n", set.c_str(), c.engine.c_str(), c.level,
                static_cast<unsigned long long>(c.in), static_cast<unsigned long long>(c.out),
                c.ratio(), c.compress_mbps, c.decompress_mbps,
                c.speedup ? fixed(*c.speedup, 3).c_str() : "", c.verified ? "yes" : "no");
  }
}

void print_json(const std::vector<Cell>& cells, const std::string& data, const BenchOptions& o) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& c : cells) {
    nlohmann::json r = {{"set", c.set},
                        {"engine", c.engine},
                        {"level", c.level},
                        {"bytes_in", c.in},
                        {"bytes_out", c.out},
                        {"ratio", c.ratio()},
                        {"compress_mbps", c.compress_mbps},
                        {"decompress_mbps", c.decompress_mbps},
                        {"speedup_vs_zlib", c.speedup ? nlohmann::json(*c.speedup) : nullptr},
                        {"verified", c.verified}};
    if (!c.error.empty()) r["error"] = c.error;
    rows.push_back(r);
  }
  nlohmann::json j = {{"data", data}, {"seconds", o.seconds}, {"results", rows}};
  std::cout << j.dump(2) << '\n';
}

}  // namespace

int run_bench(const BenchOptions& o) {
  Reporter report;
  try {
    auto sets = load_bench_sets(o.paths, o.generated_size);
    auto chosen = selected_engines(o.engines);
    std::vector<int> levels = o.levels;
    if (levels.empty()) levels.assign(std::begin(kDefaultLevels), std::end(kDefaultLevels));

    std::string data = o.paths.empty()
                           ? "built-in generated data (text-like, binary-like, incompressible; " +
                                 std::to_string(o.generated_size >> 20) + " MiB each, seed 1)"
                           : std::to_string(sets.size()) + " input set(s) from the command line";
    std::string header = "accz bench: " + data + "; one thread per engine, " + fixed(o.seconds, 2) +
                         " s minimum per measurement";

    const Engine* zlib = find_engine("zlib");
    std::vector<Cell> cells;
    for (const auto& set : sets) {
      std::map<int, double> zlib_speed;  // zlib compress MB/s by level, for speedups
      size_t first = cells.size();
      for (const Engine* e : chosen) {
        for (int level : levels) {
          if (level < e->caps().min_level || level > e->caps().max_level) continue;
          Cell c = measure(set, *e, level, o.seconds);
          if (!c.error.empty())
            report.error(c.engine, c.set + " level " + std::to_string(level) + ": " + c.error);
          if (e == zlib && c.error.empty()) zlib_speed[level] = c.compress_mbps;
          cells.push_back(std::move(c));
        }
      }
      // Speedups, measuring zlib on the side when it was not among the engines asked for.
      for (size_t i = first; i < cells.size(); ++i) {
        Cell& c = cells[i];
        const Engine* e = find_engine(c.engine);
        if (!c.error.empty() || e->caps().algorithm != Algorithm::kDeflate || zlib == nullptr ||
            c.level < zlib->caps().min_level || c.level > zlib->caps().max_level)
          continue;
        auto it = zlib_speed.find(c.level);
        if (it == zlib_speed.end())
          it = zlib_speed.emplace(c.level, measure(set, *zlib, c.level, o.seconds).compress_mbps)
                   .first;
        if (it->second > 0) c.speedup = c.compress_mbps / it->second;
      }
    }
    if (o.json)
      print_json(cells, data, o);
    else if (o.csv)
      print_csv(cells);
    else
      print_table(cells, header);
  } catch (const IoError& e) {
    report.error("bench", e.what());
  }
  return report.exit_code();
}

}  // namespace accz::cli
