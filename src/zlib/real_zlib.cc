#include "zlib/real_zlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace accz::zlib {
namespace {

RealZlib g_real;
pthread_once_t g_loaded = PTHREAD_ONCE_INIT;

[[noreturn]] void die(const char* what, const char* detail) {
  std::fprintf(stderr, "accz libz.so.1: %s: %s; cannot serve zlib calls, aborting\n", what,
               detail != nullptr ? detail : "(no detail)");
  std::abort();
}

const char* candidate_path() {
  // secure_getenv: a setuid program must not be talked into loading an arbitrary file.
  const char* env = secure_getenv("ACCZ_REAL_ZLIB");
  return env != nullptr && env[0] != '\0' ? env : ACCZ_REAL_ZLIB_PATH;
}

bool same_file(const char* a, const char* b) {
  struct stat sa {
  }, sb{};
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

template <typename Fn>
void resolve(void* handle, const char* name, Fn& slot) {
  dlerror();
  void* sym = dlsym(handle, name);
  if (sym == nullptr) die("the real zlib lacks a function of the 1.2.13 ABI", name);
  static_assert(sizeof(slot) == sizeof(sym));
  std::memcpy(&slot, &sym, sizeof(slot));
}

void load() {
  const char* path = candidate_path();
  if (path[0] != '/') die("the real zlib must be named by an absolute path", path);

  // Loading ourselves would not recurse at once (the copy is idle until called), but its first
  // call would load another copy, and so on until the namespaces run out. Refuse up front.
  Dl_info self{};
  if (dladdr(reinterpret_cast<void*>(&load), &self) != 0 && self.dli_fname != nullptr &&
      same_file(path, self.dli_fname)) {
    die("the real zlib path names this drop-in", path);
  }

  void* handle = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) die("dlmopen of the real zlib failed", dlerror());

#define ACCZ_ZLIB_FN(name, node) resolve(handle, #name, g_real.name);
#include "zlib/zlib_abi.def"
#undef ACCZ_ZLIB_FN

  // Any zlib 1.x keeps the z_stream layout and accepts our callers' "1.2.13" version checks.
  const char* version = g_real.zlibVersion();
  if (version == nullptr || version[0] != ZLIB_VERSION[0])
    die("the real zlib is not zlib 1.x", version);
  // The handle is never closed: streams and gzFiles it owns may live until exit.
}

}  // namespace

const RealZlib& real() {
  pthread_once(&g_loaded, load);
  return g_real;
}

}  // namespace accz::zlib
