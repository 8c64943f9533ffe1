// devices_cmd.h — `accz devices`: what Accel::open finds, as a table or as JSON.
//
// Single-threaded front: call from the main thread.
#pragma once

#include <cstdio>
#include <vector>

#include "accz/accel.h"
#include "options.h"

namespace accz::cli {

// The human-readable listing, also printed by `compress --stats`.
void print_devices(std::FILE* out, const std::vector<DeviceReport>& devices);

int run_devices(const DevicesOptions& options);

}  // namespace accz::cli
