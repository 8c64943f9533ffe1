// args.h — the `accz` command line: subcommands, their options and help text, parsed with
// CLI11 into the option structs of options.h.
//
// Single-threaded; parse once from main().
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "options.h"

namespace accz::cli {

// What to run, or the exit status to return at once (help printed, or a usage error).
struct ParsedCommand {
  std::variant<std::monostate, CompressOptions, DevicesOptions, BenchOptions> command;
  int exit_now = -1;  // >= 0: return this without running anything
};

ParsedCommand parse_args(int argc, char** argv);

// gzip spells levels as digit flags (-6, -kc9) that CLI11 cannot declare; this rewrites them
// as --level=N and leaves everything else, including -T4 and -S.suf values, untouched.
// Exposed for tests.
std::vector<std::string> rewrite_level_flags(const std::vector<std::string>& args);

}  // namespace accz::cli
