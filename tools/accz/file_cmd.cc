// Per-file flow, in gzip's order: check the input, name the output, refuse what gzip
// refuses, do the work into a temporary file, then give it the input's metadata, rename it
// into place and remove the input.
#include "file_cmd.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "accz/accel.h"
#include "devices_cmd.h"
#include "file_io.h"
#include "parallel_compress.h"
#include "progress.h"
#include "report.h"
#include "stream_decompress.h"

namespace accz::cli {
namespace {

std::string percent_saved(uint64_t in, uint64_t out) {
  double saved = in == 0 ? 0.0 : 100.0 * (1.0 - static_cast<double>(out) / static_cast<double>(in));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%5.1f%%", saved);
  return buf;
}

class FileCommand {
 public:
  explicit FileCommand(const CompressOptions& o) : o_(o), report_(o.verbosity) {}

  int run() {
    install_signal_handlers();
    std::vector<std::string> files = o_.files;
    if (files.empty()) files.push_back("-");
    for (const auto& f : files) {
      try {
        if (o_.decompress || o_.test)
          decompress_one(f);
        else
          compress_one(f);
      } catch (const IoError& e) {
        report_.error(f == "-" ? "stdin" : f, e.what());
      }
    }
    if (o_.stats && accel_) {
      accel_->drain();
      print_devices(stderr, accel_->devices());
    }
    return report_.exit_code();
  }

 private:
  Accel& accel() {
    if (!accel_) {
      AccelOptions ao;
      ao.cpu_instances = o_.threads;
      ao.fault_spec = o_.fault_spec;
      ao.plugin_paths = o_.plugins;
      std::string err;
      accel_ = Accel::open(ao, &err);
      if (!accel_) throw IoError("cannot open the devices: " + err);
    }
    return *accel_;
  }

  uint32_t workers() {
    for (const auto& d : accel().devices())
      if (d.info.provider == "cpu") return d.info.instances;
    return o_.threads > 0 ? o_.threads : 1;
  }

  // Checks a named input the way gzip does; false (after a warning) to skip it.
  bool acceptable_input(const std::string& f, struct stat* st) {
    if (lstat(f.c_str(), st) != 0) throw IoError(errno_text(errno));
    if (S_ISLNK(st->st_mode) && !o_.force && !o_.to_stdout) {
      report_.warning(f, "is a symbolic link -- ignored (use -f to follow)");
      return false;
    }
    if (S_ISLNK(st->st_mode) && stat(f.c_str(), st) != 0) throw IoError(errno_text(errno));
    if (S_ISDIR(st->st_mode)) {
      report_.warning(f, "is a directory -- ignored");
      return false;
    }
    if (!S_ISREG(st->st_mode) && !o_.to_stdout) {
      report_.warning(f, "is not a directory or a regular file -- ignored");
      return false;
    }
    if (st->st_nlink > 1 && !o_.force && !o_.to_stdout) {
      report_.warning(f, "has " + std::to_string(st->st_nlink - 1) +
                             " other link(s) -- unchanged (use -f to force)");
      return false;
    }
    return true;
  }

  // False (after a warning, exit 2 as gzip) if `target` exists and -f was not given.
  bool may_write(const std::string& target) {
    if (o_.force || !exists(target)) return true;
    report_.warning(target, "already exists; not overwritten (use -f to force)");
    return false;
  }

  void finish_file(const std::string& in_name, Output& out, const struct stat& st) {
    out.commit(st);
    if (!o_.keep && ::unlink(in_name.c_str()) != 0)
      report_.warning(in_name, "cannot remove: " + errno_text(errno));
  }

  void compress_one(const std::string& f) {
    const Format format = o_.format.value_or(Format::kGzip);
    const bool named = f != "-";
    const std::string suffix = o_.suffix.empty() ? std::string(info(format).suffix) : o_.suffix;
    struct stat st {};
    std::string target;
    if (named) {
      if (!acceptable_input(f, &st)) return;
      if (!o_.to_stdout) {
        if (f.size() > suffix.size() &&
            f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0) {
          report_.warning(f, "already has " + suffix + " suffix -- unchanged");
          return;
        }
        target = f + suffix;
        if (!may_write(target)) return;
      }
    }
    if (target.empty() && isatty(1) && !o_.force)
      throw IoError("compressed data not written to a terminal. Use -f to force compression.");

    Input in(f);
    GzipHeader header;
    header.xfl = o_.level == 9 ? 2 : o_.level == 1 ? 4 : 0;
    if (named && o_.store_name) {
      header.mtime = static_cast<uint32_t>(in.stat().st_mtim.tv_sec);
      header.name = base_name(f);
      header.has_name = true;
    }
    CompressPlan plan = make_plan(format, o_.level, o_.strategy, o_.chunk_size, workers());
    std::unique_ptr<Output> out =
        target.empty() ? std::make_unique<Output>() : std::make_unique<Output>(target);
    Progress progress(named ? f : "stdin", in.size_hint(), o_.progress && o_.verbosity > 0);
    CompressTotals t = compress_stream(accel(), plan, in, *out, header, progress);
    if (target.empty()) {
      out->commit(std::nullopt);
    } else {
      finish_file(f, *out, in.stat());
    }
    if (report_.verbosity() >= 2) {
      std::string line = (named ? f : "stdin") + ":\t" + percent_saved(t.in, t.out);
      if (!target.empty())
        line += " -- " + std::string(o_.keep ? "created " : "replaced with ") + target;
      report_.info(line);
    }
  }

  void decompress_one(const std::string& f) {
    const bool named = f != "-";
    const bool to_file = named && !o_.to_stdout && !o_.test;
    struct stat st {};
    std::string target;
    std::optional<Format> suffix_format;
    if (named) {
      if (!acceptable_input(f, &st)) return;
      auto stripped = strip_suffix(f, o_.suffix, o_.format);
      if (to_file) {
        if (!stripped) {
          report_.warning(f, "unknown suffix -- ignored");
          return;
        }
        target = stripped->output;
        if (!may_write(target)) return;
      }
      if (stripped) suffix_format = stripped->format;
    } else if (isatty(0) && !o_.force) {
      throw IoError("compressed data not read from a terminal. Use -f to force decompression.");
    }

    Input in(f);
    // Let the content pick the format (as gzip recognises its magic), then the suffix; raw
    // deflate has no magic, so it needs --format raw or the .deflate suffix.
    std::string head(4, '\0');
    head.resize(in.read(MutableByteSpan(reinterpret_cast<uint8_t*>(head.data()), head.size())));
    std::optional<Format> format = o_.format;
    if (!format) format = sniff(head);
    if (!format && suffix_format == Format::kRaw) format = Format::kRaw;
    if (!format)
      throw IoError(head.empty() ? "unexpected end of file" : "not in a compressed format");

    std::unique_ptr<Output> out;
    if (to_file)
      out = std::make_unique<Output>(target);
    else if (!o_.test)
      out = std::make_unique<Output>();
    Progress progress(named ? f : "stdin", in.size_hint(), o_.progress && o_.verbosity > 0);
    DecompressOutcome r = decompress_stream(*format, std::move(head), in, out.get(), progress);
    if (r.trailing_garbage > 0)
      report_.warning(named ? f : "stdin", "decompression OK, trailing garbage ignored");
    if (to_file) {
      finish_file(f, *out, in.stat());
    } else if (out) {
      out->commit(std::nullopt);
    }
    if (report_.verbosity() >= 2) {
      std::string line = (named ? f : "stdin") + ":\t";
      if (o_.test)
        line += "OK";
      else
        line +=
            percent_saved(r.out, r.in) +
            (to_file ? " -- " + std::string(o_.keep ? "created " : "replaced with ") + target : "");
      report_.info(line);
    }
  }

  const CompressOptions& o_;
  Reporter report_;
  std::unique_ptr<Accel> accel_;
};

}  // namespace

int run_file_command(const CompressOptions& options) { return FileCommand(options).run(); }

}  // namespace accz::cli
