#include "report.h"

#include <cstdio>
#include <string>

namespace accz::cli {

void Reporter::print(std::string_view file, std::string_view what) {
  std::string line = "accz: ";
  if (!file.empty()) {
    line += file;
    line += ": ";
  }
  line += what;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void Reporter::error(std::string_view file, std::string_view what) {
  print(file, what);
  exit_ = kExitError;
}

void Reporter::warning(std::string_view file, std::string_view what) {
  if (verbosity_ > 0) print(file, what);
  if (exit_ == kExitOk) exit_ = kExitWarning;
}

void Reporter::info(std::string_view text) {
  if (verbosity_ < 2) return;
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fputc('\n', stderr);
}

}  // namespace accz::cli
