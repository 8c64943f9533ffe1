// One table of (name, member) pairs drives both JSON directions, so a counter added to
// VolumeStats needs one line here and shows up everywhere.
#include "vol_report.h"

#include <cstdio>
#include <utility>

#include "vol_size.h"

namespace accz::cli {
namespace {

using nlohmann::json;
using store::VolumeStats;

constexpr std::pair<const char*, uint64_t VolumeStats::*> kCounters[] = {
    {"logical_blocks", &VolumeStats::logical_blocks},
    {"logical_blocks_used", &VolumeStats::logical_blocks_used},
    {"physical_blocks", &VolumeStats::physical_blocks},
    {"data_blocks_used", &VolumeStats::data_blocks_used},
    {"overhead_blocks", &VolumeStats::overhead_blocks},
    {"dedupe_advice_valid", &VolumeStats::dedupe_advice_valid},
    {"dedupe_advice_stale", &VolumeStats::dedupe_advice_stale},
    {"dedupe_advice_timeouts", &VolumeStats::dedupe_advice_timeouts},
    {"zero_blocks_written", &VolumeStats::zero_blocks_written},
    {"compressed_fragments_written", &VolumeStats::compressed_fragments_written},
    {"compressed_extents_written", &VolumeStats::compressed_extents_written},
    {"compressed_blocks_written", &VolumeStats::compressed_blocks_written},
    {"incompressible_blocks", &VolumeStats::incompressible_blocks},
    {"extents_unplaced", &VolumeStats::extents_unplaced},
    {"packer_fragments_waiting", &VolumeStats::packer_fragments_waiting},
    {"packer_bins_in_use", &VolumeStats::packer_bins_in_use},
    {"reference_limit_copies", &VolumeStats::reference_limit_copies},
    {"reads", &VolumeStats::reads},
    {"writes", &VolumeStats::writes},
    {"flushes", &VolumeStats::flushes},
    {"trims", &VolumeStats::trims},
    {"write_zeroes", &VolumeStats::write_zeroes},
    {"fua_writes", &VolumeStats::fua_writes},
    {"bytes_read", &VolumeStats::bytes_read},
    {"bytes_written", &VolumeStats::bytes_written},
    {"read_errors", &VolumeStats::read_errors},
    {"write_errors", &VolumeStats::write_errors},
    {"no_space_errors", &VolumeStats::no_space_errors},
    {"in_flight", &VolumeStats::in_flight},
    {"journal_entries", &VolumeStats::journal_entries},
    {"journal_blocks_written", &VolumeStats::journal_blocks_written},
    {"journal_commits", &VolumeStats::journal_commits},
    {"map_cache_hits", &VolumeStats::map_cache_hits},
    {"map_cache_misses", &VolumeStats::map_cache_misses},
    {"map_pages_written", &VolumeStats::map_pages_written},
    {"dedup_index_entries", &VolumeStats::dedup_index_entries},
    {"dedup_index_capacity", &VolumeStats::dedup_index_capacity},
};

// The extra on-disk counts an image report carries (see the header).
constexpr const char* kImageExtras[] = {"compressed_blocks_in_use", "fragments_mapped",
                                        "zero_blocks_mapped"};

uint64_t get_u64(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return 0;
  return it->is_number_unsigned() || it->get<int64_t>() >= 0 ? it->get<uint64_t>() : 0;
}

}  // namespace

double saving_percent(uint64_t logical_blocks_used, uint64_t data_blocks_used) {
  if (logical_blocks_used == 0) return 0;
  return 100.0 *
         (1.0 - static_cast<double>(data_blocks_used) / static_cast<double>(logical_blocks_used));
}

json volume_stats_to_json(const VolumeStats& s) {
  json j = json::object();
  for (const auto& [name, member] : kCounters) j[name] = s.*member;
  j["saving_percent"] = s.saving_percent;
  j["read_only"] = s.read_only;
  return j;
}

VolumeStats volume_stats_from_json(const json& j) {
  VolumeStats s;
  for (const auto& [name, member] : kCounters) s.*member = get_u64(j, name);
  if (auto it = j.find("saving_percent"); it != j.end() && it->is_number())
    s.saving_percent = it->get<double>();
  if (auto it = j.find("read_only"); it != j.end() && it->is_boolean())
    s.read_only = it->get<bool>();
  return s;
}

void print_volume_table(const json& report, std::ostream& out) {
  const VolumeStats s = volume_stats_from_json(report);
  const uint64_t bs = store::kVolumeBlockSize;
  const uint64_t size = (s.physical_blocks + s.overhead_blocks) * bs;
  const uint64_t used = (s.data_blocks_used + s.overhead_blocks) * bs;
  const uint64_t avail =
      s.physical_blocks > s.data_blocks_used ? (s.physical_blocks - s.data_blocks_used) * bs : 0;
  const double use_pct = size ? 100.0 * static_cast<double>(used) / static_cast<double>(size) : 0;
  std::string device = report.value("device", std::string("-"));
  char line[512];
  std::snprintf(line, sizeof line, "%-30s %10s %10s %10s %5s %14s\n", "Device", "Size", "Used",
                "Available", "Use%", "Space saving%");
  out << line;
  std::snprintf(line, sizeof line, "%-30s %10s %10s %10s %4.0f%% %13.1f%%\n", device.c_str(),
                format_size(size).c_str(), format_size(used).c_str(), format_size(avail).c_str(),
                use_pct, s.saving_percent);
  out << line << '\n';
  auto row = [&](const std::string& name, const std::string& value) {
    std::snprintf(line, sizeof line, "  %-30s : %s\n", name.c_str(), value.c_str());
    out << line;
  };
  row("source", report.value("source", std::string("-")));
  row("algorithm", report.value("algorithm", std::string("-")));
  row("dedupe", report.value("dedupe", false) ? "on" : "off");
  row("logical size", format_size(get_u64(report, "logical_bytes")));
  row("clean", report.value("clean", false) ? "yes" : "no");
  row("read only", s.read_only ? "yes" : "no");
  for (const auto& [name, member] : kCounters) row(name, std::to_string(s.*member));
  for (const char* name : kImageExtras)
    if (report.contains(name)) row(name, std::to_string(get_u64(report, name)));
}

}  // namespace accz::cli
