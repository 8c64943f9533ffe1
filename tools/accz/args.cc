// Command-line definitions. Exit statuses follow gzip: a usage error is 1.
#include "args.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <iostream>

#include "report.h"

namespace accz::cli {
namespace {

constexpr const char* kFooter =
    R"(Exit status: 0 success, 1 error, 2 warning (e.g. trailing garbage ignored,
a file skipped or not overwritten).
Examples:
  accz compress -k big.tar            big.tar -> big.tar.gz, keeps big.tar
  accz compress -9 -T 4 < in > in.gz  filter with four worker threads
  accz decompress big.tar.gz          big.tar.gz -> big.tar
  accz compress --format zstd log     log -> log.zst)";

void add_file_options(CLI::App* app, CompressOptions& o, bool compress) {
  if (compress) {
    app->add_flag("-d,--decompress", o.decompress, "Decompress (as `accz decompress`)");
    app->add_option("--level", o.level, "Compression level; also written -1 (fastest) .. -9 (best)")
        ->check(CLI::Range(1, 9));
    app->add_flag_callback(
        "--fast", [&o] { o.level = 1; }, "Same as -1");
    app->add_flag_callback(
        "--best", [&o] { o.level = 9; }, "Same as -9");
    app->add_flag_callback(
        "-n,--no-name", [&o] { o.store_name = false; },
        "Do not store the file name and mtime in the gzip header");
    app->add_flag_callback(
        "-N,--name", [&o] { o.store_name = true; },
        "Store the file name and mtime in the gzip header (default)");
    app->add_option("--strategy", o.strategy,
                    "Parallel gzip layout: members (one gzip member per chunk, libdeflate), "
                    "stream (one member, chunks primed with the previous 32 KiB; ISA-L at "
                    "1-3, zlib above) or auto (default: stream at -1, members otherwise)")
        ->check(CLI::IsMember({"auto", "members", "stream"}));
    app->add_option("--chunk-size", o.chunk_size, "Bytes per parallel chunk (default 1 MiB)")
        ->check(CLI::Range(size_t{64} << 10, size_t{1} << 30));
  }
  app->add_flag("-t,--test", o.test, "Test the compressed files' integrity; write nothing");
  app->add_option("-T,--threads", o.threads,
                  "Worker threads (cpu device instances); default: one per core")
      ->check(CLI::Range(0u, 1024u));
  app->add_flag("-k,--keep", o.keep, "Keep (don't delete) input files");
  app->add_flag("-c,--stdout,--to-stdout", o.to_stdout,
                "Write to standard output, keep input files");
  app->add_flag("-f,--force", o.force,
                "Overwrite output files, compress to/from a terminal, follow links");
  app->add_flag_callback(
      "-v,--verbose", [&o] { o.verbosity = 2; }, "Print a line per file");
  app->add_flag_callback(
      "-q,--quiet", [&o] { o.verbosity = 0; }, "Suppress warnings");
  app->add_option("-S,--suffix", o.suffix, "Use suffix SUF on compressed files");
  app->add_option_function<std::string>(
         "--format", [&o](const std::string& name) { o.format = parse_format(name); },
         compress ? "Output format (default gzip)" : "Input format (default: detected)")
      ->check(CLI::IsMember({"gzip", "zlib", "raw", "deflate", "lz4", "zstd"}));
  app->add_option("--fault", o.fault_spec,
                  "Route through a fault-injecting device, e.g. error=0.1,busy=0.05,seed=7");
  app->add_option("--plugin", o.plugins, "Load a provider plugin (repeatable)")
      ->allow_extra_args(false);
  app->add_flag("--stats", o.stats, "Print each device's counters on stderr when done");
  app->add_flag_callback(
      "--no-progress", [&o] { o.progress = false; },
      "No progress bar (shown on a terminal for large inputs)");
  app->add_option("files", o.files, "Files to process; none or - for stdin to stdout");
  app->footer(kFooter);
}

bool is_file_command(const std::string& s) { return s == "compress" || s == "decompress"; }

}  // namespace

std::vector<std::string> rewrite_level_flags(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  bool in_file_command = false, value_next = false, options_done = false;
  for (const auto& a : args) {
    if (value_next || options_done) {
      value_next = false;
      out.push_back(a);
      continue;
    }
    if (!in_file_command) {
      in_file_command = is_file_command(a);
      out.push_back(a);
      continue;
    }
    if (a == "--") options_done = true;
    if (a.size() < 2 || a[0] != '-' || a[1] == '-') {
      // --option VALUE pairs: the value may itself look like a digit flag.
      if (a == "--level" || a == "--format" || a == "--suffix" || a == "--threads" ||
          a == "--strategy" || a == "--chunk-size" || a == "--fault" || a == "--plugin")
        value_next = true;
      out.push_back(a);
      continue;
    }
    std::string kept = "-";
    int level = -1;
    for (size_t i = 1; i < a.size(); ++i) {
      char c = a[i];
      if (std::isdigit(static_cast<unsigned char>(c))) {
        level = c - '0';
      } else if (c == 'T' || c == 'S') {
        kept += a.substr(i);  // the rest of the cluster is the option's value
        value_next = i + 1 == a.size();
        break;
      } else {
        kept += c;
      }
    }
    if (kept.size() > 1) out.push_back(kept);
    if (level >= 0) out.push_back("--level=" + std::to_string(level));
  }
  return out;
}

ParsedCommand parse_args(int argc, char** argv) {
  ParsedCommand result;
  CompressOptions file_opts, decomp_opts;
  DevicesOptions dev;
  BenchOptions bench;

  CLI::App app{"accz - compression offload with a transparent software fallback", "accz"};
  app.require_subcommand(1, 1);
  app.footer(
      "Run `accz COMMAND --help` for a command's options.\n"
      "`accz run [--stats] -- CMD ARGS...` runs CMD on the libz.so.1 drop-in (`accz run --help`).");

  auto* comp = app.add_subcommand("compress", "Compress files like gzip, on every core");
  add_file_options(comp, file_opts, true);
  auto* decomp = app.add_subcommand("decompress", "Decompress files (same as compress -d)");
  add_file_options(decomp, decomp_opts, false);

  auto* devices = app.add_subcommand("devices", "List the devices found and their counters");
  devices->add_flag("--json", dev.json, "Print JSON");
  devices->add_option("--fault", dev.fault_spec,
                      "Add a fault-injecting device, e.g. error=0.1,busy=0.05,seed=7");
  devices->add_option("--plugin", dev.plugins, "Load a provider plugin (repeatable)")
      ->allow_extra_args(false);

  auto* b = app.add_subcommand("bench", "Benchmark the engines: ratio and speed per level");
  b->add_option("paths", bench.paths, "Files or directories (default: built-in generated data)");
  b->add_option("--engine", bench.engines, "Engines to measure (repeatable; default: all)")
      ->delimiter(',')
      ->allow_extra_args(false);
  b->add_option("--level", bench.levels, "Levels to measure (repeatable; default: 1, 6, 9)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(CLI::Range(0, 22));
  auto* json = b->add_flag("--json", bench.json, "Print JSON");
  b->add_flag("--csv", bench.csv, "Print CSV")->excludes(json);
  b->add_option("--seconds", bench.seconds, "Minimum measuring time per cell and direction")
      ->check(CLI::Range(0.0, 60.0));
  b->add_option_function<size_t>(
       "--size", [&bench](size_t mib) { bench.generated_size = mib << 20; },
       "MiB of each generated data kind (default 2)")
      ->check(CLI::Range(1, 1024));

  std::vector<std::string> args(argv + 1, argv + argc);
  args = rewrite_level_flags(args);
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector reversed
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    result.exit_now = code == 0 ? kExitOk : kExitError;
    return result;
  }
  if (comp->parsed()) {
    result.command = file_opts;
  } else if (decomp->parsed()) {
    decomp_opts.decompress = true;
    result.command = decomp_opts;
  } else if (devices->parsed()) {
    result.command = dev;
  } else {
    result.command = bench;
  }
  return result;
}

}  // namespace accz::cli
