// file_io.h — the CLI's file handling: inputs (a file or stdin), outputs that appear only when
// complete (a temporary file in the target directory, renamed over the target on success and
// unlinked on failure or on SIGINT/SIGTERM/SIGHUP), and the metadata gzip keeps.
//
// Errors are thrown as IoError carrying a message ready for the user ("No such file or
// directory"); the per-file loop catches them, reports, and goes on with the next file, so
// the compress and decompress code reads as the straight path.
//
// Single-threaded: used by the CLI's main thread only (the signal handler reads the one
// pending temporary name, which is published before the file is created).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "accz/types.h"

namespace accz::cli {

class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// strerror(errno) as a string; the caller adds context.
std::string errno_text(int err);

class Input {
 public:
  // "-" is stdin. Throws IoError if it cannot be opened.
  explicit Input(const std::string& path);
  ~Input();
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  // Fills `buf` as far as the input allows; returns the bytes read (< size only at the end).
  size_t read(MutableByteSpan buf);
  bool is_stdin() const { return fd_ == 0; }
  int fd() const { return fd_; }
  const struct stat& stat() const { return st_; }
  // Size in bytes when known (regular files), for progress; 0 otherwise.
  uint64_t size_hint() const;

 private:
  int fd_ = -1;
  struct stat st_ {};
};

// Where output goes: stdout, or a new file that replaces `target` only on commit().
class Output {
 public:
  // Stdout.
  Output();
  // A temporary file next to `target`. Throws IoError if the directory is not writable.
  explicit Output(const std::string& target);
  // Unlinks the temporary file if commit() was not reached.
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void write(ByteSpan data);
  // Gives the file `mode` and the access/modification times of `times` (when set), closes
  // it and renames it over the target. No-op for stdout beyond flushing.
  void commit(std::optional<struct stat> like);
  uint64_t written() const { return written_; }
  bool is_stdout() const { return target_.empty(); }

 private:
  void discard();
  std::string target_;
  std::string temp_;
  int fd_ = 1;
  uint64_t written_ = 0;
  bool committed_ = false;
};

// Installs the handlers that unlink a pending temporary file on SIGINT/SIGTERM/SIGHUP and
// makes write errors on a closed pipe come back as EPIPE instead of killing the process.
void install_signal_handlers();

bool exists(const std::string& path);
// The file name without its directories, for the gzip header's FNAME.
std::string base_name(const std::string& path);

}  // namespace accz::cli
