// vol_image.h — opening a volume image for the `accz vol` commands, and reading what is on
// disk without the engine: the superblock and the checker's counts.
//
// Promise: open_image() opens a regular file or block device holding a volume (never creates
// one); its errors' message() names the path and says what failed ("open PATH: No such file
// or directory"), so callers print message() rather than the kind. image_report() opens read-only,
// writes nothing, and returns a volume report (vol_report.h) whose block counts come from
// check_volume(): exact after a clean close; for a dirty volume ("clean": false, "needs_replay":
// true) they describe the metadata as last written back, before the journal's newer entries.
//
// Thread-safety: functions; nothing may write the image while image_report() reads it.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "store/backing/file_backing.h"
#include "store/format/superblock.h"

namespace accz::cli {

store::StoreResult<std::unique_ptr<store::FileBacking>> open_image(const std::string& path,
                                                                   bool read_only);

// The report's fields that come from the superblock alone.
nlohmann::json superblock_json(const std::string& device, const store::Superblock& sb);

// nullopt and *error set (a whole message, naming the image) when it cannot be read.
std::optional<nlohmann::json> image_report(const std::string& path, std::string* error);

}  // namespace accz::cli
