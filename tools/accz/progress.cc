#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace accz::cli {

Progress::Progress(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      active_(enabled && isatty(2) && (total == 0 || total >= kMinBytes)),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(uint64_t done) {
  if (!active_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100)) return;
  // A pipe of unknown size gets a bar only once it has proved to be long.
  if (total_ == 0 && done < kMinBytes && !drawn_) return;
  last_ = now;
  draw(done);
}

void Progress::draw(uint64_t done) {
  double seconds = std::chrono::duration<double>(last_ - start_).count();
  double mbps = seconds > 0 ? static_cast<double>(done) / 1e6 / seconds : 0.0;
  std::string label = label_.size() > 30 ? "..." + label_.substr(label_.size() - 27) : label_;
  char line[160];
  if (total_ > 0) {
    constexpr int kWidth = 30;
    double frac = static_cast<double>(done) / static_cast<double>(total_);
    if (frac > 1) frac = 1;
    int fill = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<size_t>(fill), '#');
    bar.resize(kWidth, '.');
    std::snprintf(line, sizeof line, "\r%-30s [%s] %3d%% %8.1f MB/s", label.c_str(), bar.c_str(),
                  static_cast<int>(frac * 100), mbps);
  } else {
    std::snprintf(line, sizeof line, "\r%-30s %10.1f MB %8.1f MB/s", label.c_str(),
                  static_cast<double>(done) / 1e6, mbps);
  }
  std::fputs(line, stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);  // erase the line
  std::fflush(stderr);
  drawn_ = false;
  active_ = false;
}

}  // namespace accz::cli
