#include "vol_stats.h"

#include <iostream>

#include "report.h"
#include "vol_control.h"
#include "vol_image.h"
#include "vol_report.h"

namespace accz::cli {

int run_vol_stats(const VolStatsOptions& o) {
  nlohmann::json report;
  if (!o.image.empty()) {
    std::string error;
    auto r = image_report(o.image, &error);
    if (!r) {
      std::cerr << "accz vol stats: " << error << '\n';
      return kExitError;
    }
    report = std::move(*r);
  } else {
    const std::string path = o.control.empty() ? o.socket + ".ctl" : o.control;
    std::string error;
    auto reply = control_request(path, {{"command", "stats"}}, &error);
    if (!reply) {
      std::cerr << "accz vol stats: " << error << '\n';
      return kExitError;
    }
    if (!reply->value("ok", false)) {
      std::cerr << "accz vol stats: " << path << ": " << reply->value("error", "refused") << '\n';
      return kExitError;
    }
    report = std::move(*reply);
    report.erase("ok");
  }
  if (o.json)
    std::cout << report.dump(2) << '\n';
  else
    print_volume_table(report, std::cout);
  return kExitOk;
}

}  // namespace accz::cli
