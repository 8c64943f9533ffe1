// vol_cmd.h — `accz vol create | serve | stats | check`: parses the volume commands (their own
// CLI11 app, since they share no options with the file commands) and runs one.
//
// Single-threaded entry point; call from main().
#pragma once

namespace accz::cli {

// argv holds the arguments after "vol". Returns the process's exit status.
int run_vol(int argc, char** argv);

}  // namespace accz::cli
