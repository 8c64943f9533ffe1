// cli_harness.h — running the built `accz` (and other tools) from tests: a scratch directory
// per test, shell commands with their exit status and captured output, and file helpers.
//
// Commands run through /bin/sh in the scratch directory; stdout and stderr go to files there
// so that binary output is captured exactly. Single-threaded (one test at a time).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

namespace accz::testing {

struct RunResult {
  int status = -1;  // exit status; 128 + N if killed by signal N
  std::string out, err;
};

class Scratch {
 public:
  Scratch();   // a fresh directory under $TMPDIR (or /tmp)
  ~Scratch();  // removes it
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // Runs `command` with /bin/sh -c in dir(). "$ACCZ" in the command is the accz binary.
  RunResult run(const std::string& command) const;

  void write(const std::string& name, const std::vector<uint8_t>& data) const;
  void write(const std::string& name, const std::string& data) const;
  std::vector<uint8_t> read(const std::string& name) const;
  bool exists(const std::string& name) const;
  struct stat stat(const std::string& name) const;
  // Names in dir() (no . and ..), sorted.
  std::vector<std::string> list() const;

 private:
  std::string dir_;
};

// The accz binary under test.
std::string accz_binary();
// True if `tool` is on PATH.
bool have_tool(const std::string& tool);

}  // namespace accz::testing
