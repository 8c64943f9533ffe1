// --repair goes through open_volume()/close_volume() rather than the engine: replay is all a
// repair does, and this way check never depends on the engine's caches or threads.
#include "vol_check.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "report.h"
#include "store/volume/checker.h"
#include "store/volume/open_volume.h"
#include "vol_image.h"
#include "vol_report.h"

namespace accz::cli {
namespace {

using nlohmann::json;

// `what` names the image itself when `named` (open_image()'s messages do).
int error(const VolCheckOptions& o, const std::string& what, bool named = false) {
  if (o.json) {
    std::cout << json{{"device", o.image}, {"error", what}}.dump(2) << '\n';
  }
  std::cerr << "accz vol check: " << (named ? "" : o.image + ": ") << what << '\n';
  return kCheckError;
}

}  // namespace

int run_vol_check(const VolCheckOptions& o) {
  auto dev = open_image(o.image, /*read_only=*/!o.repair);
  if (!dev.ok()) return error(o, dev.status.message(), /*named=*/true);
  store::OpenOptions oo;
  oo.read_only = true;
  auto opened = store::open_volume(*dev.value, oo);
  if (!opened.ok()) return error(o, opened.status.to_string());

  bool replayed = false;
  store::ReplayResult replay;
  if (opened.value.was_dirty && o.repair) {
    opened = store::open_volume(*dev.value, {});
    if (!opened.ok()) return error(o, "replay failed: " + opened.status.to_string());
    replayed = true;
    replay = opened.value.replay;
  }

  auto check = store::check_volume(*dev.value, opened.value.sb);
  if (!check.ok()) return error(o, check.status.to_string());
  std::vector<std::string> problems = check.value.problems;
  const bool needs_replay = opened.value.was_dirty && !replayed;
  if (needs_replay)
    problems.insert(problems.begin(),
                    "the volume was not closed cleanly: its journal needs replay (run `accz vol "
                    "check --repair`, or serve the volume, to replay it)");

  if (replayed) {
    // W6: the replayed metadata must be durable before the superblock says clean.
    store::StoreStatus s = dev.value->flush();
    if (s.ok())
      s = store::close_volume(*dev.value, &opened.value.sb, opened.value.first_sequence, 0);
    if (!s.ok()) return error(o, "closing after replay: " + s.to_string());
  }

  const store::CheckReport& c = check.value;
  if (o.json) {
    json j = superblock_json(o.image, opened.value.sb);
    j["consistent"] = problems.empty();
    j["problems"] = problems;
    j["needs_replay"] = needs_replay;
    j["replayed"] = replayed;
    j["journal_entries_replayed"] = replay.entries_replayed;
    j["lbns_mapped"] = c.lbns_mapped;
    j["lbns_zero"] = c.lbns_zero;
    j["blocks_in_use"] = c.blocks_in_use;
    j["compressed_blocks"] = c.compressed_blocks;
    j["compressed_extents"] = c.compressed_extents;
    j["fragments_mapped"] = c.fragments_mapped;
    j["torn_copies"] = c.torn_copies;
    j["saving_percent"] = saving_percent(c.lbns_mapped, c.blocks_in_use);
    std::cout << j.dump(2) << '\n';
  } else {
    if (replayed)
      std::cout << o.image << ": replayed " << replay.entries_replayed << " journal entries ("
                << replay.blocks_replayed << " blocks)\n";
    std::cout << o.image << ": " << c.lbns_mapped << " blocks mapped, " << c.lbns_zero << " zero, "
              << c.blocks_in_use << " data blocks in use (" << c.compressed_blocks << " in "
              << c.compressed_extents << " compressed extents, holding " << c.fragments_mapped
              << " fragments), " << c.torn_copies << " torn metadata copies ignored\n";
    for (const std::string& p : problems) std::cout << o.image << ": problem: " << p << '\n';
    std::cout << o.image << ": "
              << (problems.empty() ? "consistent" : std::to_string(problems.size()) + " problem(s)")
              << '\n';
  }
  return problems.empty() ? kExitOk : kCheckProblems;
}

}  // namespace accz::cli
