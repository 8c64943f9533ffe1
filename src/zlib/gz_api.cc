// zlib's gz* file functions, including the 64-bit offset names that every program built with
// -D_FILE_OFFSET_BITS=64 calls (gzopen64, gzseek64, gztell64, gzoffset64). A gzFile is the real
// zlib's: programs read the head of its state (have, next, pos) directly through the gzgetc
// macro, so any later reimplementation must keep that head. The real gz* functions call deflate
// and inflate inside the private copy, so they never reach the drop-in (see README.md).
#include "zlib/zlib_api.h"

#include <cstdarg>

#include "zlib/real_zlib.h"

using accz::zlib::real;

gzFile gzopen(const char* path, const char* mode) { return real().gzopen(path, mode); }

gzFile gzopen64(const char* path, const char* mode) { return real().gzopen64(path, mode); }

gzFile gzdopen(int fd, const char* mode) { return real().gzdopen(fd, mode); }

int gzbuffer(gzFile file, unsigned size) { return real().gzbuffer(file, size); }

int gzsetparams(gzFile file, int level, int strategy) {
  return real().gzsetparams(file, level, strategy);
}

int gzread(gzFile file, voidp buf, unsigned len) { return real().gzread(file, buf, len); }

z_size_t gzfread(voidp buf, z_size_t size, z_size_t nitems, gzFile file) {
  return real().gzfread(buf, size, nitems, file);
}

int gzwrite(gzFile file, voidpc buf, unsigned len) { return real().gzwrite(file, buf, len); }

z_size_t gzfwrite(voidpc buf, z_size_t size, z_size_t nitems, gzFile file) {
  return real().gzfwrite(buf, size, nitems, file);
}

int gzprintf(gzFile file, const char* format, ...) {
  va_list args;
  va_start(args, format);
  const int rc = real().gzvprintf(file, format, args);
  va_end(args);
  return rc;
}

int gzvprintf(gzFile file, const char* format, va_list va) {
  return real().gzvprintf(file, format, va);
}

int gzputs(gzFile file, const char* s) { return real().gzputs(file, s); }

char* gzgets(gzFile file, char* buf, int len) { return real().gzgets(file, buf, len); }

int gzputc(gzFile file, int c) { return real().gzputc(file, c); }

// Parenthesised: zlib.h defines gzgetc as a function-like macro over the gzFile's head.
int(gzgetc)(gzFile file) { return (real().gzgetc)(file); }

int gzgetc_(gzFile file) { return real().gzgetc_(file); }

int gzungetc(int c, gzFile file) { return real().gzungetc(c, file); }

int gzflush(gzFile file, int flush) { return real().gzflush(file, flush); }

off_t gzseek(gzFile file, off_t offset, int whence) { return real().gzseek(file, offset, whence); }

off64_t gzseek64(gzFile file, off64_t offset, int whence) {
  return real().gzseek64(file, offset, whence);
}

int gzrewind(gzFile file) { return real().gzrewind(file); }

off_t gztell(gzFile file) { return real().gztell(file); }

off64_t gztell64(gzFile file) { return real().gztell64(file); }

off_t gzoffset(gzFile file) { return real().gzoffset(file); }

off64_t gzoffset64(gzFile file) { return real().gzoffset64(file); }

int gzeof(gzFile file) { return real().gzeof(file); }

int gzdirect(gzFile file) { return real().gzdirect(file); }

int gzclose(gzFile file) { return real().gzclose(file); }

int gzclose_r(gzFile file) { return real().gzclose_r(file); }

int gzclose_w(gzFile file) { return real().gzclose_w(file); }

const char* gzerror(gzFile file, int* errnum) { return real().gzerror(file, errnum); }

void gzclearerr(gzFile file) { real().gzclearerr(file); }
