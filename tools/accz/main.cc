// accz — the command line: devices, compress, decompress, bench.
#include <exception>
#include <iostream>

#include "args.h"
#include "bench_cmd.h"
#include "devices_cmd.h"
#include "file_cmd.h"
#include "report.h"

int main(int argc, char** argv) {
  using namespace accz::cli;
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
