// report.h — messages to stderr in gzip's shape ("accz: FILE: what happened") and the exit
// status they add up to: 0 success, 2 warning, 1 error (an error outranks a warning).
//
// One Reporter per command run, used from the main thread only.
#pragma once

#include <string_view>

namespace accz::cli {

enum Exit : int { kExitOk = 0, kExitError = 1, kExitWarning = 2 };

class Reporter {
 public:
  explicit Reporter(int verbosity = 1) : verbosity_(verbosity) {}

  void error(std::string_view file, std::string_view what);
  // Warnings are printed unless -q, and set exit 2 either way (as gzip does).
  void warning(std::string_view file, std::string_view what);
  // -v lines.
  void info(std::string_view text);

  int verbosity() const { return verbosity_; }
  int exit_code() const { return exit_; }

 private:
  void print(std::string_view file, std::string_view what);
  int verbosity_;
  int exit_ = kExitOk;
};

}  // namespace accz::cli
