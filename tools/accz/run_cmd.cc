#include "run_cmd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "report.h"

namespace accz::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "Usage: accz run [--stats] [--preload] [--] CMD [ARGS...]\n"
    "Run CMD with its zlib calls served by the accz libz.so.1 drop-in.\n"
    "  --stats    print what went where (engines, calls, bytes, fallbacks to zlib) on exit\n"
    "  --preload  use LD_PRELOAD instead of LD_LIBRARY_PATH (for programs with an RPATH)\n"
    "Environment: ACCZ_ZLIB_DROPIN_DIR names the drop-in directory; ACCZ_ZLIB_ENGINES,\n"
    "ACCZ_ZLIB_LOG, ACCZ_ZLIB_STATS and the other ACCZ_ZLIB_* variables configure the\n"
    "drop-in, as do NAME=VALUE lines in the file ACCZ_ZLIB_CONFIG names (default\n"
    "/etc/accz/zlib.conf; the environment wins); see src/zlib/config.h.\n"
    "Exit status: CMD's, 128+N if signal N ended it, 126/127 if it could not be run.\n";

bool has_dropin(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / "libz.so.1", ec);
}

// The drop-in beside this binary: the build tree first, then the installed layout.
fs::path find_dropin() {
  if (const char* dir = std::getenv("ACCZ_ZLIB_DROPIN_DIR"); dir != nullptr && dir[0] != '\0') {
    if (has_dropin(dir)) return fs::absolute(dir);
    throw std::runtime_error(std::string("ACCZ_ZLIB_DROPIN_DIR=") + dir + " holds no libz.so.1");
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the accz binary: " + ec.message());
  for (const char* rel : {ACCZ_DROPIN_BUILD_REL, ACCZ_DROPIN_INSTALL_REL}) {
    const fs::path dir = (exe.parent_path() / rel).lexically_normal();
    if (has_dropin(dir)) return dir;
  }
  throw std::runtime_error("no libz.so.1 drop-in next to " + exe.string() +
                           " (looked in " ACCZ_DROPIN_BUILD_REL " and " ACCZ_DROPIN_INSTALL_REL
                           "); set ACCZ_ZLIB_DROPIN_DIR");
}

void prepend_env(const char* name, const std::string& value, char separator) {
  const char* old = std::getenv(name);
  std::string v = value;
  if (old != nullptr && old[0] != '\0') v += separator + std::string(old);
  setenv(name, v.c_str(), 1);
}

// Like a shell: 127 when CMD is not found, 126 when it cannot be executed.
[[noreturn]] void exec_child(char** argv) {
  execvp(argv[0], argv);
  const int err = errno;
  std::fprintf(stderr, "accz run: %s: %s\n", argv[0], std::strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return kExitError;
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace

int run_on_dropin(int argc, char** argv) {
  bool stats = false, preload = false;
  int i = 0;
  for (; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--stats") {
      stats = true;
    } else if (a == "--preload") {
      preload = true;
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return kExitOk;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "accz run: unknown option " << a << "\n" << kUsage;
      return kExitError;
    } else {
      break;
    }
  }
  if (i >= argc) {
    std::cerr << "accz run: no command given\n" << kUsage;
    return kExitError;
  }

  const fs::path dropin = find_dropin();
  if (preload) {
    prepend_env("LD_PRELOAD", (dropin / "libz.so.1").string(), ':');
  } else {
    prepend_env("LD_LIBRARY_PATH", dropin.string(), ':');
  }

  std::string stats_file;
  if (stats) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ =
        std::string(tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp") + "/accz-run-stats-XXXXXX";
    const int fd = mkstemp(templ.data());
    if (fd < 0) throw std::runtime_error("cannot create a stats file: " + templ);
    close(fd);
    stats_file = templ;
    setenv("ACCZ_ZLIB_STATS", stats_file.c_str(), 1);
  }

  // As a shell does while a foreground job runs: ^C and ^\ are for CMD; we report how it ended.
  struct sigaction ignore {
  }, old_int{}, old_quit{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGQUIT, &old_quit, nullptr);
    exec_child(argv + i);
  }
  const int status = pid < 0 ? kExitError : wait_for(pid);
  if (pid < 0) std::fprintf(stderr, "accz run: fork: %s\n", std::strerror(errno));
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);

  if (stats) {
    std::ifstream in(stats_file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::remove(stats_file.c_str());
    if (text.str().empty()) {
      std::cerr << "accz run: no zlib calls reported (" << argv[i]
                << " made none, or did not load libz.so.1 from " << dropin.string() << ")\n";
    } else {
      std::cerr << text.str();
    }
  }
  return status;
}

}  // namespace accz::cli
