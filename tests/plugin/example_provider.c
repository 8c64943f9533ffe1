/* example_provider.c — a TEST provider for accz's plugin C ABI (accz/provider_abi.h).
 *
 * This is not a hardware driver and must not be shipped as one: it exists so the test suite
 * can prove that the ABI, the loader and the fallback paths work with a real plugin. Still,
 * it does real work: deflate compression and decompression (raw, zlib and gzip framings,
 * multi-member gzip on input) with zlib, on its own worker thread, completing requests
 * asynchronously through the callback — the way a hardware provider would from its
 * interrupt or polling thread.
 *
 * Compile-time variants, used by the tests to build misbehaving plugins from the same code:
 *   EXAMPLE_MODE=1         refuses every submit with BUSY (a device whose queue is full)
 *   EXAMPLE_MODE=2         accepts every request and completes it with DEVICE_ERROR
 *   EXAMPLE_ABI_VERSION=N  claims ABI version N (a plugin built for another accz)
 *
 * Thread-safety: as the ABI requires. One mutex guards the queue; the worker runs zlib
 * outside it and calls the completion callback without holding it.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "accz/provider_abi.h"

#ifndef EXAMPLE_MODE
#define EXAMPLE_MODE 0
#endif
#ifndef EXAMPLE_ABI_VERSION
#define EXAMPLE_ABI_VERSION ACCZ_PROVIDER_ABI_VERSION
#endif

#define DEFAULT_DEPTH 64u
#define MAX_DEPTH 4096u
/* zlib counts in uInt; larger iovecs are fed in pieces of this size. */
#define ZCHUNK (1u << 30)

struct job {
  const struct accz_request* req;
  accz_completion_fn done;
  void* cookie;
};

struct example {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t worker;
  struct job* ring; /* bounded queue: head, count, depth */
  size_t head, count, depth;
  int stop;
};

/* ---- buffer cursors over iovec lists, feeding zlib in pieces ---- */

struct in_cursor {
  const struct accz_const_iovec* v;
  size_t n, i, off, done;
  uInt given; /* avail_in handed to zlib by the last give */
};
struct out_cursor {
  const struct accz_iovec* v;
  size_t n, i, off, done;
  uInt given;
};

static unsigned char empty_byte;

/* Accounts what zlib took since the last give, then offers the next piece. Returns 0 when
 * the list is exhausted (zlib then sees avail_in == 0). */
static int in_give(struct in_cursor* c, z_stream* zs) {
  size_t used = c->given - zs->avail_in;
  c->off += used;
  c->done += used;
  while (c->i < c->n && c->off >= c->v[c->i].len) {
    c->i++;
    c->off = 0;
  }
  if (c->i == c->n) {
    zs->next_in = &empty_byte;
    zs->avail_in = c->given = 0;
    return 0;
  }
  size_t left = c->v[c->i].len - c->off;
  c->given = left > ZCHUNK ? ZCHUNK : (uInt)left;
  zs->next_in = (Bytef*)c->v[c->i].base + c->off;
  zs->avail_in = c->given;
  return 1;
}

static int out_give(struct out_cursor* c, z_stream* zs) {
  size_t used = c->given - zs->avail_out;
  c->off += used;
  c->done += used;
  while (c->i < c->n && c->off >= c->v[c->i].len) {
    c->i++;
    c->off = 0;
  }
  if (c->i == c->n) {
    zs->next_out = &empty_byte;
    zs->avail_out = c->given = 0;
    return 0;
  }
  size_t left = c->v[c->i].len - c->off;
  c->given = left > ZCHUNK ? ZCHUNK : (uInt)left;
  zs->next_out = (Bytef*)c->v[c->i].base + c->off;
  zs->avail_out = c->given;
  return 1;
}

/* The next two unread input bytes, if there are two. */
static int peek2(const struct in_cursor* c, unsigned char out[2]) {
  size_t got = 0, i = c->i, off = c->off;
  while (got < 2 && i < c->n) {
    if (off < c->v[i].len) {
      out[got++] = ((const unsigned char*)c->v[i].base)[off++];
    } else {
      i++;
      off = 0;
    }
  }
  return got == 2;
}

static int window_bits(uint32_t framing) {
  switch (framing) {
    case ACCZ_FRAMING_RAW:
      return -15;
    case ACCZ_FRAMING_ZLIB:
      return 15;
    default:
      return 31; /* gzip */
  }
}

/* Checksum of the first `len` bytes laid over an iovec list, continuing from `seed`. */
static uint32_t checksum_of(int adler, uint32_t seed, const struct accz_iovec* v, size_t n,
                            const struct accz_const_iovec* cv, size_t len) {
  uLong sum = seed;
  for (size_t i = 0; i < n && len > 0; ++i) {
    const unsigned char* p = v ? (const unsigned char*)v[i].base : (const unsigned char*)cv[i].base;
    size_t l = v ? v[i].len : cv[i].len;
    if (l > len) l = len;
    sum = adler ? adler32_z(sum, p, l) : crc32_z(sum, p, l);
    len -= l;
  }
  return (uint32_t)sum;
}

static size_t total_in(const struct accz_request* r) {
  size_t n = 0;
  for (size_t i = 0; i < r->src_count; ++i) n += r->src[i].len;
  return n;
}

/* ---- the work ---- */

static void do_compress(const struct accz_request* r, struct accz_result* res) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  int level = r->level < 0 ? Z_DEFAULT_COMPRESSION : r->level;
  if (deflateInit2(&zs, level, Z_DEFLATED, window_bits(r->framing), 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    res->status = ACCZ_STATUS_DEVICE_ERROR;
    return;
  }
  if (r->dictionary_len && r->framing == ACCZ_FRAMING_RAW)
    deflateSetDictionary(&zs, (const Bytef*)r->dictionary, (uInt)r->dictionary_len);
  int zflush = r->flush == ACCZ_FLUSH_SYNC   ? Z_SYNC_FLUSH
               : r->flush == ACCZ_FLUSH_FULL ? Z_FULL_FLUSH
                                             : Z_FINISH;
  struct in_cursor in = {r->src, r->src_count, 0, 0, 0, 0};
  struct out_cursor out = {r->dst, r->dst_count, 0, 0, 0, 0};
  uint32_t status = ACCZ_STATUS_OK;
  for (;;) {
    int more_in = in_give(&in, &zs);
    int more_out = out_give(&out, &zs);
    int ret = deflate(&zs, more_in ? Z_NO_FLUSH : zflush);
    if (ret == Z_STREAM_END) break;
    if (ret == Z_STREAM_ERROR) {
      status = ACCZ_STATUS_DEVICE_ERROR;
      break;
    }
    /* A sync/full flush is complete when zlib left output space unused. */
    if (!more_in && zflush != Z_FINISH && ret == Z_OK && zs.avail_out != 0) break;
    if (ret == Z_BUF_ERROR) { /* no progress possible: only a full output explains it */
      status = more_out ? ACCZ_STATUS_DEVICE_ERROR : ACCZ_STATUS_OUTPUT_OVERFLOW;
      break;
    }
  }
  in_give(&in, &zs); /* account the last call */
  out_give(&out, &zs);
  deflateEnd(&zs);
  res->status = status;
  res->consumed = in.done;
  res->produced = out.done;
  res->checksum = checksum_of(r->framing == ACCZ_FRAMING_ZLIB, r->checksum_seed, NULL, r->src_count,
                              r->src, in.done);
  if (r->incompressible_ok && (status == ACCZ_STATUS_OK || status == ACCZ_STATUS_OUTPUT_OVERFLOW) &&
      out.done >= total_in(r))
    res->status = ACCZ_STATUS_INCOMPRESSIBLE;
}

static void do_decompress(const struct accz_request* r, struct accz_result* res) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, window_bits(r->framing)) != Z_OK) {
    res->status = ACCZ_STATUS_DEVICE_ERROR;
    return;
  }
  if (r->dictionary_len && r->framing == ACCZ_FRAMING_RAW)
    inflateSetDictionary(&zs, (const Bytef*)r->dictionary, (uInt)r->dictionary_len);
  struct in_cursor in = {r->src, r->src_count, 0, 0, 0, 0};
  struct out_cursor out = {r->dst, r->dst_count, 0, 0, 0, 0};
  uint32_t status = ACCZ_STATUS_OK;
  int end = 0;
  for (;;) {
    int more_in = in_give(&in, &zs);
    int more_out = out_give(&out, &zs);
    int ret = inflate(&zs, Z_NO_FLUSH);
    if (ret == Z_STREAM_END) {
      unsigned char magic[2];
      in_give(&in, &zs);
      /* gzip input may be several members; each one continues the output. */
      if (r->framing == ACCZ_FRAMING_GZIP && peek2(&in, magic) && magic[0] == 0x1f &&
          magic[1] == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      end = 1;
      break;
    }
    if (ret == Z_NEED_DICT || ret == Z_DATA_ERROR) {
      status = ACCZ_STATUS_BAD_DATA;
      break;
    }
    if (ret == Z_MEM_ERROR || ret == Z_STREAM_ERROR) {
      status = ACCZ_STATUS_DEVICE_ERROR;
      break;
    }
    if (ret == Z_BUF_ERROR) {
      /* No progress possible: out of output space, else the input ended before the stream
       * did (Z_OK always made progress, so the loop ends). */
      if (!more_out) {
        status = ACCZ_STATUS_OUTPUT_OVERFLOW;
        break;
      }
      status = more_in ? ACCZ_STATUS_DEVICE_ERROR : ACCZ_STATUS_BAD_DATA;
      break;
    }
  }
  in_give(&in, &zs);
  out_give(&out, &zs);
  inflateEnd(&zs);
  res->status = status;
  res->consumed = in.done;
  res->produced = out.done;
  res->end = (uint32_t)end;
  res->checksum = checksum_of(r->framing == ACCZ_FRAMING_ZLIB, r->checksum_seed, r->dst,
                              r->dst_count, NULL, out.done);
}

static void run_job(const struct job* j) {
  struct accz_result res;
  memset(&res, 0, sizeof res);
  if (EXAMPLE_MODE == 2)
    res.status = ACCZ_STATUS_DEVICE_ERROR;
  else if (j->req->op == ACCZ_OP_COMPRESS)
    do_compress(j->req, &res);
  else
    do_decompress(j->req, &res);
  j->done(j->cookie, &res);
}

static void* worker_main(void* arg) {
  struct example* ex = arg;
  pthread_mutex_lock(&ex->mu);
  for (;;) {
    while (!ex->stop && ex->count == 0) pthread_cond_wait(&ex->cv, &ex->mu);
    if (ex->count == 0) break; /* stopping, and nothing left to finish */
    struct job j = ex->ring[ex->head];
    ex->head = (ex->head + 1) % ex->depth;
    ex->count--;
    pthread_mutex_unlock(&ex->mu);
    run_job(&j);
    pthread_mutex_lock(&ex->mu);
  }
  pthread_mutex_unlock(&ex->mu);
  return NULL;
}

/* ---- the ABI table ---- */

static int ex_probe(const struct accz_provider_config* config, void** ctx, char* error,
                    size_t error_len) {
  struct example* ex = calloc(1, sizeof *ex);
  if (!ex) {
    snprintf(error, error_len, "out of memory");
    return -1;
  }
  ex->depth = config->queue_depth ? config->queue_depth : DEFAULT_DEPTH;
  if (ex->depth > MAX_DEPTH) ex->depth = MAX_DEPTH;
  ex->ring = calloc(ex->depth, sizeof *ex->ring);
  pthread_mutex_init(&ex->mu, NULL);
  pthread_cond_init(&ex->cv, NULL);
  if (!ex->ring || pthread_create(&ex->worker, NULL, worker_main, ex) != 0) {
    snprintf(error, error_len, "cannot start the worker thread");
    pthread_cond_destroy(&ex->cv);
    pthread_mutex_destroy(&ex->mu);
    free(ex->ring);
    free(ex);
    return -1;
  }
  *ctx = ex;
  return 1;
}

static int ex_device_info(void* ctx, uint32_t device, struct accz_device_info* info) {
  struct example* ex = ctx;
  if (device != 0) return -1;
  memset(info, 0, sizeof *info);
  snprintf(info->name, sizeof info->name, "example0");
  snprintf(info->description, sizeof info->description,
           "TEST provider: zlib deflate on a worker thread (not hardware)");
  info->instances = 1;
  info->queue_depth = (uint32_t)ex->depth;
  info->framings = ACCZ_FRAMING_BIT(ACCZ_FRAMING_RAW) | ACCZ_FRAMING_BIT(ACCZ_FRAMING_ZLIB) |
                   ACCZ_FRAMING_BIT(ACCZ_FRAMING_GZIP);
  info->deflate_min_level = 0;
  info->deflate_max_level = 9;
  info->max_request = (uint64_t)64 << 20;
  info->min_offload = 0;
  info->priority = 20;
  return 0;
}

static int ex_supports(void* ctx, uint32_t device, const struct accz_request* req) {
  (void)ctx;
  if (device != 0) return 0;
  if (req->framing > ACCZ_FRAMING_GZIP) return 0;
  if (req->op == ACCZ_OP_COMPRESS) {
    if (req->level < -1 || req->level > 9) return 0;
    if (req->flush == ACCZ_FLUSH_NONE) return 0; /* a request must end on a flush point */
    if (req->flush != ACCZ_FLUSH_FINISH && req->framing != ACCZ_FRAMING_RAW) return 0;
  }
  if (req->dictionary_len && req->framing != ACCZ_FRAMING_RAW) return 0;
  if (req->dictionary_len > UINT_MAX) return 0;
  return 1;
}

static uint32_t ex_submit(void* ctx, uint32_t device, uint32_t instance,
                          const struct accz_request* req, accz_completion_fn done, void* cookie) {
  struct example* ex = ctx;
  (void)instance;
  if (!ex_supports(ctx, device, req)) return ACCZ_STATUS_UNSUPPORTED;
  if (EXAMPLE_MODE == 1) return ACCZ_STATUS_BUSY;
  pthread_mutex_lock(&ex->mu);
  if (ex->count == ex->depth || ex->stop) {
    pthread_mutex_unlock(&ex->mu);
    return ACCZ_STATUS_BUSY;
  }
  struct job* j = &ex->ring[(ex->head + ex->count) % ex->depth];
  j->req = req;
  j->done = done;
  j->cookie = cookie;
  ex->count++;
  pthread_cond_signal(&ex->cv);
  pthread_mutex_unlock(&ex->mu);
  return ACCZ_STATUS_OK;
}

/* A queued job can be taken back; one the worker has started is left to finish. */
static int ex_abort(void* ctx, uint32_t device, void* cookie) {
  struct example* ex = ctx;
  int found = 0;
  (void)device;
  pthread_mutex_lock(&ex->mu);
  for (size_t k = 0; k < ex->count; ++k) {
    size_t at = (ex->head + k) % ex->depth;
    if (!found && ex->ring[at].cookie == cookie) found = 1;
    if (found && k + 1 < ex->count) ex->ring[at] = ex->ring[(at + 1) % ex->depth];
  }
  if (found) ex->count--;
  pthread_mutex_unlock(&ex->mu);
  return found;
}

static size_t ex_poll(void* ctx, uint32_t device, size_t max) {
  (void)ctx;
  (void)device;
  (void)max;
  return 0; /* completions come from the worker thread */
}

static void ex_destroy(void* ctx) {
  struct example* ex = ctx;
  pthread_mutex_lock(&ex->mu);
  ex->stop = 1;
  pthread_cond_broadcast(&ex->cv);
  pthread_mutex_unlock(&ex->mu);
  pthread_join(ex->worker, NULL);
  pthread_cond_destroy(&ex->cv);
  pthread_mutex_destroy(&ex->mu);
  free(ex->ring);
  free(ex);
}

static const struct accz_provider_table_v1 table = {
    EXAMPLE_ABI_VERSION, "example", ex_probe, ex_device_info, ex_supports,
    ex_submit,           ex_abort,  ex_poll,  ex_destroy,
};

ACCZ_PROVIDER_EXPORT const struct accz_provider_table_v1* accz_provider_v1(void) { return &table; }
