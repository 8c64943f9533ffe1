// gz* file functions on the drop-in against stock zlib, in a temporary directory: random data
// written through gzopen/gzdopen/gzopen64 with gzwrite, gzfwrite, gzprintf, gzputs, gzputc,
// gzflush, gzsetparams and gzseek (forward, as zero fill), in "w", "a" (a second member) and "wT"
// (transparent) modes; read back by the other zlib with gzread, gzfread, gzgets, gzgetc,
// gzungetc, gzseek/gztell/gzrewind and gzeof. Every byte read must be the byte written, and both
// zlibs must read each file alike.
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fuzz_case.h"
#include "fuzz_zlib.h"

namespace accz::fuzz {
namespace {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    path_ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/accz-gz-XXXXXX";
    if (mkdtemp(path_.data()) == nullptr) path_.clear();
  }
  ~TempDir() {
    // ACCZ_FUZZ_KEEP_GOING also keeps the files, to look at a failure.
    if (!path_.empty() && !keep_going()) std::system(("rm -rf '" + path_ + "'").c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes `data` (what the file must hold when read back) through a random mix of writers.
// Returns false (with a gtest failure) if a call fails.
bool write_file(const ZlibApi& api, const std::string& path, Rng& rng, Bytes& data, OpLog& log,
                bool* transparent) {
  static const char* const kModes[] = {"wb", "wb1", "wb9", "wb6h", "wb4R", "wbF", "wbT"};
  const char* mode = rng.pick(kModes);
  *transparent = std::strchr(mode, 'T') != nullptr;
  const int how = static_cast<int>(rng.below(3));
  gzFile f = nullptr;
  if (how == 0) {
    f = api.gzopen(path.c_str(), mode);
  } else if (how == 1) {
    f = api.gzopen64(path.c_str(), mode);
  } else {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    f = api.gzdopen(fd, mode);
  }
  log.add("%s: open(%s) via %s", api.name.c_str(), mode,
          how == 0 ? "gzopen" : (how == 1 ? "gzopen64" : "gzdopen"));
  if (f == nullptr) {
    ADD_FAILURE() << api.name << ": cannot open " << path << " mode " << mode;
    return false;
  }
  if (rng.percent(30)) api.gzbuffer(f, static_cast<unsigned>(rng.range(8192, 256 * 1024)));
  const int pieces = rng.range(1, 12);
  for (int i = 0; i < pieces; ++i) {
    const Bytes piece = draw_data(rng, rng.below(rng.percent(20) ? 300000 : 5000));
    int rc = 0;
    // Not a seek first: stock zlib 1.2.13 can then write stale buffer bytes for the zeros
    // (reproduced with stock zlib alone; see the compat README).
    switch (rng.below(data.empty() ? 6 : 7)) {
      case 0:
        rc = api.gzwrite(f, piece.data(), static_cast<unsigned>(piece.size()));
        if (rc != static_cast<int>(piece.size())) rc = -1;
        data.insert(data.end(), piece.begin(), piece.end());
        log.add("gzwrite(%zu)", piece.size());
        break;
      case 1:
        rc = static_cast<int>(api.gzfwrite(piece.data(), 1, piece.size(), f));
        if (rc != static_cast<int>(piece.size())) rc = -1;
        data.insert(data.end(), piece.begin(), piece.end());
        log.add("gzfwrite(%zu)", piece.size());
        break;
      case 2: {
        const unsigned v = static_cast<unsigned>(rng.next());
        char text[64];
        const int n = std::snprintf(text, sizeof text, "line %u: %x %s\n", v, v, "gzprintf");
        rc = api.gzprintf(f, "line %u: %x %s\n", v, v, "gzprintf");
        if (rc != n) rc = -1;
        data.insert(data.end(), text, text + n);
        log.add("gzprintf(%d)", n);
        break;
      }
      case 3: {
        std::string line = "a line for gzgets " + std::to_string(rng.below(1000000)) + "\n";
        rc = api.gzputs(f, line.c_str());
        if (rc != static_cast<int>(line.size())) rc = -1;
        data.insert(data.end(), line.begin(), line.end());
        log.add("gzputs(%zu)", line.size());
        break;
      }
      case 4: {
        const int c = static_cast<int>(rng.below(256));
        rc = api.gzputc(f, c) == c ? 0 : -1;
        data.push_back(static_cast<Bytef>(c));
        log.add("gzputc");
        break;
      }
      case 5: {
        static const int kFlush[] = {Z_SYNC_FLUSH, Z_FULL_FLUSH, Z_FINISH, Z_PARTIAL_FLUSH};
        const int fl = rng.pick(kFlush);
        rc = api.gzflush(f, fl) == Z_OK ? 0 : -1;
        log.add("gzflush(%s)", flush_name(fl));
        if (rng.percent(50) && std::strchr(mode, 'T') == nullptr) {
          const int lv = rng.range(0, 9), st = rng.range(0, 4);
          rc = api.gzsetparams(f, lv, st) == Z_OK ? 0 : -1;
          log.add("gzsetparams(%d, %d)", lv, st);
        }
        break;
      }
      default: {
        // A forward seek writes zeros.
        const z_off_t skip = static_cast<z_off_t>(rng.below(70000));
        const z_off_t at = api.gzseek(f, skip, SEEK_CUR);
        if (at != static_cast<z_off_t>(data.size()) + skip) rc = -1;
        data.insert(data.end(), static_cast<size_t>(skip), 0);
        log.add("gzseek(+%ld) = %ld", static_cast<long>(skip), static_cast<long>(at));
        break;
      }
    }
    if (rc < 0) {
      int err = 0;
      ADD_FAILURE() << api.name << ": a write failed: " << api.gzerror(f, &err) << "\n"
                    << log.str();
      api.gzclose(f);
      return false;
    }
    if (api.gztell(f) != static_cast<z_off_t>(data.size())) {
      ADD_FAILURE() << api.name << ": gztell " << api.gztell(f) << " after " << data.size()
                    << " bytes\n"
                    << log.str();
      api.gzclose(f);
      return false;
    }
  }
  const int rc = api.gzclose(f);
  log.add("gzclose = %s", rc_name(rc));
  if (rc != Z_OK) {
    ADD_FAILURE() << api.name << ": gzclose returned " << rc_name(rc) << "\n" << log.str();
    return false;
  }
  return true;
}

// Reads the whole file through a random mix of readers; returns what was read.
Bytes read_file(const ZlibApi& api, const std::string& path, Rng& rng, size_t expect, OpLog& log,
                bool* ok) {
  Bytes out;
  *ok = false;
  gzFile f = rng.percent(50) ? api.gzopen(path.c_str(), "rb") : api.gzopen64(path.c_str(), "rb");
  if (f == nullptr) return out;
  if (rng.percent(30)) api.gzbuffer(f, static_cast<unsigned>(rng.range(8192, 256 * 1024)));
  int rounds = 0;
  while (++rounds < 1000000) {
    const size_t want = 1 + rng.below(rng.percent(20) ? 100000 : 3000);
    const uint64_t how = rng.below(10);
    if (how < 4) {
      Bytes buf(want);
      const int n = api.gzread(f, buf.data(), static_cast<unsigned>(want));
      if (n < 0) return out;
      out.insert(out.end(), buf.begin(), buf.begin() + n);
      if (n == 0) break;
    } else if (how < 6) {
      Bytes buf(want);
      const size_t n = api.gzfread(buf.data(), 1, want, f);
      out.insert(out.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n));
      if (n == 0) break;
    } else if (how < 8) {
      std::vector<char> line(2 + rng.below(200));
      // gzgets copies NUL bytes too; gztell says how many bytes it took.
      const z_off_t before = api.gztell(f);
      if (api.gzgets(f, line.data(), static_cast<int>(line.size())) == nullptr) break;
      const z_off_t took = api.gztell(f) - before;
      if (took <= 0 || static_cast<size_t>(took) >= line.size()) return out;
      out.insert(out.end(), line.data(), line.data() + took);
    } else if (how == 8) {
      const int c = (api.gzgetc)(f);  // (): gzgetc is also a macro
      if (c < 0) break;
      if (rng.percent(50)) {
        if (api.gzungetc(c, f) != c) return out;
        continue;
      }
      out.push_back(static_cast<Bytef>(c));
    } else {
      // Seek back (or to the start) and reread, then return to where we were.
      const z_off_t here = api.gztell(f);
      if (here != static_cast<z_off_t>(out.size())) return out;
      const z_off_t back = static_cast<z_off_t>(rng.below(static_cast<uint64_t>(here) + 1));
      if (rng.percent(30)) {
        if (api.gzrewind(f) != 0) return out;
      } else if (api.gzseek(f, back, SEEK_SET) != back) {
        return out;
      }
      const z_off_t from = api.gztell(f);
      Bytes again(static_cast<size_t>(here - from));
      if (!again.empty() && api.gzread(f, again.data(), static_cast<unsigned>(again.size())) !=
                                static_cast<int>(again.size()))
        return out;
      if (!std::equal(again.begin(), again.end(), out.begin() + from)) {
        log.add("reread after gzseek(%ld) differs", static_cast<long>(from));
        return out;
      }
    }
  }
  if (!api.gzeof(f)) log.add("gzeof is 0 at the end");
  *ok = api.gzeof(f) != 0 && api.gzclose(f) == Z_OK;
  return out;
}

TEST(DropinFuzz, GzFilesRoundTripBetweenTheDropinAndZlib) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const int iters = fuzz_iterations(40);
  const uint64_t base = fuzz_base_seed() + 3000000;
  std::printf("gz fuzz: %d cases from seed %llu\n", iters, static_cast<unsigned long long>(base));
  for (int i = 0; i < iters; ++i) {
    const uint64_t seed = base + static_cast<uint64_t>(i);
    Rng rng(seed);
    const bool dropin_writes = rng.percent(50);
    const ZlibApi& writer = dropin_writes ? dropin() : stock();
    const std::string path = dir.path() + "/f" + std::to_string(i) + ".gz";
    OpLog log;
    Bytes data;
    bool transparent = false;
    bool ok = write_file(writer, path, rng, data, log, &transparent);
    // A second member; not after a transparent file, which zlib reads as plain bytes to the end.
    if (ok && !transparent && rng.percent(25)) {
      const ZlibApi& second = rng.percent(50) ? dropin() : stock();
      gzFile f = second.gzopen(path.c_str(), "ab");
      const Bytes more = draw_data(rng, rng.below(20000));
      ok = f != nullptr &&
           second.gzwrite(f, more.data(), static_cast<unsigned>(more.size())) ==
               static_cast<int>(more.size()) &&
           second.gzclose(f) == Z_OK;
      data.insert(data.end(), more.begin(), more.end());
      log.add("%s appended a member of %zu bytes", second.name.c_str(), more.size());
      if (!ok) ADD_FAILURE() << "append failed";
    }
    for (const ZlibApi* reader : {&dropin(), &stock()}) {
      if (!ok) break;
      Rng rrng(seed * 31 + 7);
      bool read_ok = false;
      const Bytes back = read_file(*reader, path, rrng, data.size(), log, &read_ok);
      if (!read_ok || back != data) {
        size_t at = 0;
        while (at < back.size() && at < data.size() && back[at] == data[at]) ++at;
        ADD_FAILURE() << reader->name << " read " << back.size() << " bytes of " << data.size()
                      << ", first difference at " << at << " (read "
                      << hex_prefix(Bytes(back.begin() + static_cast<ptrdiff_t>(at), back.end()), 8)
                      << ", wrote "
                      << hex_prefix(Bytes(data.begin() + static_cast<ptrdiff_t>(at), data.end()), 8)
                      << ")" << (read_ok ? " (all calls succeeded)" : " (a call failed)")
                      << " from a file written by " << writer.name;
        ok = false;
      }
    }
    if (!ok) {
      ADD_FAILURE() << "case seed " << seed << " (replay: ACCZ_FUZZ_SEED=" << (seed - 3000000)
                    << " ACCZ_FUZZ_ITERS=1)\n"
                    << log.str();
      if (!keep_going()) return;
    }
  }
}

}  // namespace
}  // namespace accz::fuzz
