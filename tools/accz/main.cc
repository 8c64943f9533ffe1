// accz — the command line: devices, compress, decompress, bench, run, vol.
#include <exception>
#include <iostream>
#include <string_view>

#include "args.h"
#include "bench_cmd.h"
#include "devices_cmd.h"
#include "file_cmd.h"
#include "report.h"
#include "run_cmd.h"
#include "vol_cmd.h"

int main(int argc, char** argv) {
  using namespace accz::cli;
  // `run` passes everything after it to another program, so it bypasses CLI11's parsing.
  if (argc >= 2 && std::string_view(argv[1]) == "run") {
    try {
      return run_on_dropin(argc - 2, argv + 2);
    } catch (const std::exception& e) {
      std::cerr << "accz run: " << e.what() << '\n';
      return kExitError;
    }
  }
  // `vol` has its own subcommands and options, parsed by its own CLI11 app.
  if (argc >= 2 && std::string_view(argv[1]) == "vol") return run_vol(argc - 2, argv + 2);
  ParsedCommand p = parse_args(argc, argv);
  if (p.exit_now >= 0) return p.exit_now;
  try {
    if (auto* c = std::get_if<CompressOptions>(&p.command)) return run_file_command(*c);
    if (auto* d = std::get_if<DevicesOptions>(&p.command)) return run_devices(*d);
    if (auto* b = std::get_if<BenchOptions>(&p.command)) return run_bench(*b);
  } catch (const std::exception& e) {
    std::cerr << "accz: " << e.what() << '\n';
  }
  return kExitError;
}
