#include "vol_image.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "store/volume/checker.h"
#include "store/volume/open_volume.h"
#include "vol_report.h"

namespace accz::cli {

using nlohmann::json;
using store::StoreResult;
using store::StoreStatus;

StoreResult<std::unique_ptr<store::FileBacking>> open_image(const std::string& path,
                                                            bool read_only) {
  // FileBacking would report a missing file as a bare errno; say which file.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {StoreStatus::FromErrno(errno, path), nullptr};
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
    return {StoreStatus::InvalidArgument(path + ": not a regular file or block device"), nullptr};
  store::FileBackingOptions fo;
  fo.read_only = read_only;
  auto dev = store::FileBacking::open(path, fo);
  if (!dev.ok()) return {StoreStatus(dev.status), nullptr};
  return dev;
}

json superblock_json(const std::string& device, const store::Superblock& sb) {
  const store::Geometry& g = sb.geometry;
  return json{
      {"device", device},
      {"algorithm", std::string(store::to_string(sb.algorithm))},
      {"dedupe", sb.dedupe},
      {"logical_bytes", g.logical_blocks * store::kVolumeBlockSize},
      {"logical_blocks", g.logical_blocks},
      {"physical_blocks", g.data_blocks},
      {"overhead_blocks", g.data_start},
      {"clean", sb.state == store::VolumeState::kClean},
  };
}

std::optional<json> image_report(const std::string& path, std::string* error) {
  auto dev = open_image(path, /*read_only=*/true);
  if (!dev.ok()) {
    *error = dev.status.message();
    return std::nullopt;
  }
  store::OpenOptions oo;
  oo.read_only = true;
  auto opened = store::open_volume(*dev.value, oo);
  if (!opened.ok()) {
    *error = path + ": " + opened.status.to_string();
    return std::nullopt;
  }
  auto check = store::check_volume(*dev.value, opened.value.sb);
  if (!check.ok()) {
    *error = path + ": " + check.status.to_string();
    return std::nullopt;
  }
  const store::CheckReport& c = check.value;

  store::VolumeStats s;
  const store::Geometry& g = opened.value.sb.geometry;
  s.logical_blocks = g.logical_blocks;
  s.logical_blocks_used = c.lbns_mapped;
  s.physical_blocks = g.data_blocks;
  s.data_blocks_used = c.blocks_in_use;
  s.overhead_blocks = g.data_start;
  s.saving_percent = saving_percent(s.logical_blocks_used, s.data_blocks_used);
  s.read_only = true;
  json j = volume_stats_to_json(s);
  j.update(superblock_json(path, opened.value.sb));
  j["source"] = "image";
  j["needs_replay"] = opened.value.was_dirty;
  j["compressed_blocks_in_use"] = c.compressed_blocks;
  j["fragments_mapped"] = c.fragments_mapped;
  j["zero_blocks_mapped"] = c.lbns_zero;
  j["problems"] = c.problems.size();
  return j;
}

}  // namespace accz::cli
