// devices_cmd.h — `accz devices`: what Accel::open finds, as a table or as JSON.
//
// Single-threaded front: call from the main thread.
#pragma once

#include "options.h"

namespace accz::cli {

int run_devices(const DevicesOptions& options);

}  // namespace accz::cli
