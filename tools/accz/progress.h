// progress.h — a one-line progress bar on stderr for long jobs: shown only when stderr is a
// terminal, the job is large enough to be worth it, and -q was not given. Redraws at most
// ten times a second and erases itself when done, so it never mixes with messages.
//
// Single-threaded: updated by the thread that reads the input.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace accz::cli {

class Progress {
 public:
  // Inputs smaller than this finish too fast for a bar to help.
  static constexpr uint64_t kMinBytes = 32ull << 20;

  // `total` 0: unknown size (a pipe): the bar shows bytes and speed without a percentage.
  Progress(std::string label, uint64_t total, bool enabled);
  ~Progress();

  void update(uint64_t done);
  void finish();

 private:
  void draw(uint64_t done);
  std::string label_;
  uint64_t total_;
  bool active_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace accz::cli
