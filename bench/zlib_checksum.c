/* zlib_checksum: crc32 and adler32 on 1 MiB buffers, stock zlib against the accz libz.so.1
 * drop-in, in one process.
 *
 * Each library is loaded with dlmopen into a namespace of its own, so both are called by the
 * same names side by side and neither can bind to the other. Every timing is the best of
 * several runs of enough calls to take ~0.2 s; the checksums of both must agree.
 *
 * usage: zlib_checksum [STOCK_LIBZ [DROPIN_LIBZ]]   (defaults: the paths found at build time)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef unsigned long (*checksum_fn)(unsigned long, const unsigned char*, unsigned);

struct lib {
  const char* path;
  checksum_fn crc32, adler32;
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void load(struct lib* l) {
  void* h = dlmopen(LM_ID_NEWLM, l->path, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    fprintf(stderr, "zlib_checksum: %s\n", dlerror());
    exit(1);
  }
  *(void**)&l->crc32 = dlsym(h, "crc32");
  *(void**)&l->adler32 = dlsym(h, "adler32");
  if (l->crc32 == NULL || l->adler32 == NULL) {
    fprintf(stderr, "zlib_checksum: %s lacks crc32/adler32\n", l->path);
    exit(1);
  }
}

/* Best-of-5 throughput in GB/s of fn over buf, and its result. */
static double measure(checksum_fn fn, const unsigned char* buf, unsigned len,
                      unsigned long* result) {
  double best = 0;
  unsigned calls = 1;
  for (double t0 = now(); now() - t0 < 0.05; ++calls) *result = fn(*result & 0, buf, len);
  calls = calls * 4 + 1; /* ~0.2 s per run */
  for (int run = 0; run < 5; ++run) {
    unsigned long acc = 0;
    const double t0 = now();
    for (unsigned i = 0; i < calls; ++i) acc ^= fn(i & 1, buf, len);
    const double secs = now() - t0;
    const double gbps = (double)len * calls / secs / 1e9;
    if (gbps > best) best = gbps;
    if (acc == 42) puts(""); /* keep the calls */
  }
  *result = fn(0, buf, len);
  return best;
}

int main(int argc, char** argv) {
  struct lib stock = {argc > 1 ? argv[1] : ACCZ_REAL_ZLIB_PATH, NULL, NULL};
  struct lib dropin = {argc > 2 ? argv[2] : ACCZ_DROPIN_LIBRARY, NULL, NULL};
  load(&stock);
  load(&dropin);
  const unsigned len = 1u << 20;
  unsigned char* buf = malloc(len);
  if (buf == NULL) return 1;
  unsigned x = 12345;
  for (unsigned i = 0; i < len; ++i) buf[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);

  printf("%-8s %14s %14s %8s\n", "1 MiB", "zlib GB/s", "drop-in GB/s", "speedup");
  const char* names[2] = {"crc32", "adler32"};
  int mismatch = 0;
  for (int k = 0; k < 2; ++k) {
    unsigned long rz = 0, rd = 0;
    const double z = measure(k == 0 ? stock.crc32 : stock.adler32, buf, len, &rz);
    const double d = measure(k == 0 ? dropin.crc32 : dropin.adler32, buf, len, &rd);
    printf("%-8s %14.2f %14.2f %7.1fx\n", names[k], z, d, d / z);
    if (rz != rd) {
      fprintf(stderr, "%s: stock %08lx, drop-in %08lx\n", names[k], rz, rd);
      mismatch = 1;
    }
  }
  free(buf);
  return mismatch;
}
