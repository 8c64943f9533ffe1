// vol_report.h — a volume's statistics as JSON and as a vdostats-like table, shared by
// `accz vol stats` (from an image or from a serving process) and the serve command's control
// socket, so both ends agree on one JSON shape.
//
// The JSON object ("volume report") carries every VolumeStats field under its own name, plus:
//   device (string), source ("image" or "server"), algorithm ("lz4"…), dedupe (bool),
//   logical_bytes, clean (bool: the superblock says closed cleanly; a server reports false
//   while it is open), and, from an image, the checker's compressed_blocks_in_use,
//   fragments_mapped and zero_blocks_mapped.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "store/engine/volume.h"

namespace accz::cli {

nlohmann::json volume_stats_to_json(const store::VolumeStats& s);
// Missing fields stay zero (a newer or older peer may send fewer).
store::VolumeStats volume_stats_from_json(const nlohmann::json& j);

// Derives saving_percent from the block counts, as VolumeStats defines it.
double saving_percent(uint64_t logical_blocks_used, uint64_t data_blocks_used);

// The table: Device, Size, Used, Available, Use%, Space saving%, then "name : value" lines of
// every counter.
void print_volume_table(const nlohmann::json& report, std::ostream& out);

}  // namespace accz::cli
