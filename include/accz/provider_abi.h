/* accz/provider_abi.h — the C ABI between accz and an out-of-tree provider plugin (a shared
 * object that drives QAT, KAE/UADK, IAA, a GPU…). Plain C99; usable from C and C++.
 *
 * A plugin exports one function,
 *
 *     const struct accz_provider_table_v1* accz_provider_v1(void);
 *
 * returning a table that lives as long as the shared object is loaded. accz dlopen()s the
 * plugin (RTLD_NOW | RTLD_LOCAL), checks table->abi_version == ACCZ_PROVIDER_ABI_VERSION
 * (a mismatch is a load error naming both versions), calls probe() once, asks
 * device_info() for each device, and presents each device as an untrusted accz::Device:
 * its output is verified in software and any refusal, error or timeout falls back to the
 * software floor. A plugin therefore never has to be perfect to be safe, only honest in
 * its status codes.
 *
 * Versioning: any change to a struct layout, enum value or function signature in this file
 * increments ACCZ_PROVIDER_ABI_VERSION; the entry point's name carries the major version so
 * one object can export several.
 *
 * Lifecycle:   accz_provider_v1() → probe() → device_info(0..n-1) → { supports, submit,
 *              abort, poll }* → destroy()
 * destroy() is called once, after every accepted request has been completed or aborted;
 * after it returns no plugin thread may call back into accz, and the object is dlclose()d.
 *
 * Buffer ownership (the same rule as accz/request.h): from a submit() that returns
 * ACCZ_STATUS_OK until the plugin calls the completion callback for it — or until abort()
 * returns 1 for it — the struct accz_request, its src/dst iovec arrays, the dictionary and
 * every byte they point at belong to the plugin: accz neither frees nor touches them. The
 * plugin may read src, write dst, and keep pointers to all of them in that window, and must
 * not touch any of them afterwards. A submit() that returns anything else took nothing and
 * must keep no pointer. The accz_result passed to the callback is the plugin's: accz copies
 * it before the callback returns.
 *
 * Threads: see each function. In short, every device call may come from any thread,
 * concurrently, including for the same device; the completion callback may be called from
 * any plugin thread (or from inside poll() on the polling thread), but never from inside
 * submit(), supports(), abort() or device_info() on the calling thread.
 */
#ifndef ACCZ_PROVIDER_ABI_H_
#define ACCZ_PROVIDER_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACCZ_PROVIDER_ABI_VERSION 1u

/* The exported entry point's name, for dlsym(). */
#define ACCZ_PROVIDER_ENTRY_V1 "accz_provider_v1"

/* Numeric values equal those of accz::Operation, Framing, Flush and Status. */
enum accz_operation { ACCZ_OP_COMPRESS = 0, ACCZ_OP_DECOMPRESS = 1 };

enum accz_framing {
  ACCZ_FRAMING_RAW = 0,       /* raw deflate, RFC 1951 */
  ACCZ_FRAMING_ZLIB = 1,      /* RFC 1950: header, deflate, Adler-32 */
  ACCZ_FRAMING_GZIP = 2,      /* RFC 1952: one member out; any number of members in */
  ACCZ_FRAMING_LZ4_BLOCK = 3, /* bare lz4 block */
  ACCZ_FRAMING_LZ4_FRAME = 4, /* lz4 frame with content checksum */
  ACCZ_FRAMING_ZSTD_FRAME = 5 /* zstd frame */
};
#define ACCZ_FRAMING_BIT(f) (1u << (unsigned)(f))

enum accz_flush {
  ACCZ_FLUSH_NONE = 0,
  ACCZ_FLUSH_SYNC = 1,  /* byte-aligned, non-final: ends with an empty stored block */
  ACCZ_FLUSH_FULL = 2,  /* as SYNC, and no back-references past this point */
  ACCZ_FLUSH_FINISH = 3 /* a complete stream */
};

enum accz_status {
  ACCZ_STATUS_OK = 0,
  ACCZ_STATUS_OUTPUT_OVERFLOW = 1, /* dst filled before the work was done */
  ACCZ_STATUS_INCOMPRESSIBLE = 2,  /* incompressible_ok was set and output >= input */
  ACCZ_STATUS_BAD_DATA = 3,        /* corrupt or truncated compressed input */
  ACCZ_STATUS_UNSUPPORTED = 4,     /* this request shape cannot be done here */
  ACCZ_STATUS_BUSY = 5,            /* queue full: nothing taken, try later */
  ACCZ_STATUS_DEVICE_ERROR = 6     /* the device failed; no output can be relied on */
};

/* One piece of a scatter-gather list. */
struct accz_const_iovec {
  const void* base;
  size_t len;
};
struct accz_iovec {
  void* base;
  size_t len;
};

/* One job. Field meanings are those of accz::Request (accz/request.h). */
struct accz_request {
  uint32_t op;      /* enum accz_operation */
  uint32_t framing; /* enum accz_framing */
  /* Compression level on the algorithm's own scale (deflate 0..9, lz4 1..12, zstd 1..19);
   * -1: the device's default. Within the ranges the device advertised. */
  int32_t level;
  uint32_t flush;             /* enum accz_flush; compression only */
  uint32_t incompressible_ok; /* compression only: answer INCOMPRESSIBLE instead of growing */
  /* Input, read in list order; and output space, written in list order. */
  const struct accz_const_iovec* src;
  size_t src_count;
  const struct accz_iovec* dst;
  size_t dst_count;
  /* Raw deflate only: the window to prime (compression) or the dictionary the stream was
   * made against (decompression). NULL/0: none. */
  const void* dictionary;
  size_t dictionary_len;
  /* Running checksum to continue from: 0 for a fresh CRC-32, 1 for a fresh Adler-32. */
  uint32_t checksum_seed;
};

struct accz_result {
  uint32_t status;   /* enum accz_status */
  uint64_t consumed; /* bytes of src used */
  uint64_t produced; /* bytes written to dst, in list order */
  /* Of the uncompressed bytes, continuing from checksum_seed: Adler-32 for the zlib
   * framing, CRC-32 for every other. */
  uint32_t checksum;
  uint32_t end; /* decompression: 1 if the end of the (last) stream was reached */
};

/* Called exactly once per accepted request (never for one submit() refused, never after
 * abort() returned 1 for it). `cookie` is the one passed to submit(). May be called from
 * any thread; it does not block for long and does not call back into the plugin. */
typedef void (*accz_completion_fn)(void* cookie, const struct accz_result* result);

/* What accz hands to probe(). */
struct accz_provider_config {
  uint32_t instances;   /* requested queue pairs per device; 0: the plugin's choice */
  uint32_t queue_depth; /* requested requests per instance before BUSY; 0: plugin's choice */
  const char* path;     /* the path the plugin was loaded from */
};

/* A device as `accz devices` lists it (mirrors accz::DeviceInfo). Strings are
 * NUL-terminated and truncated to fit. An algorithm whose framings are absent from
 * `framings` may leave its level range at 0..0. */
struct accz_device_info {
  char name[64]; /* unique within the plugin, e.g. "qat0"; [A-Za-z0-9_.-] */
  char description[128];
  uint32_t instances;   /* queue pairs; at least 1 */
  uint32_t queue_depth; /* requests each instance holds before BUSY */
  uint32_t framings;    /* ACCZ_FRAMING_BIT() of every framing it compresses and decompresses */
  int32_t deflate_min_level, deflate_max_level;
  int32_t lz4_min_level, lz4_max_level;
  int32_t zstd_min_level, zstd_max_level;
  uint64_t max_request; /* largest src or dst total in bytes; 0: no limit */
  uint64_t min_offload; /* smaller requests are not worth sending; 0: any */
  int32_t priority;     /* routing order against other devices; the cpu device is 0 */
};

struct accz_provider_table_v1 {
  /* ACCZ_PROVIDER_ABI_VERSION of the header the plugin was built with. */
  uint32_t abi_version;
  /* A short provider name, e.g. "qat". Static storage. */
  const char* name;

  /* Finds the devices. Returns their number (0: no hardware here, not an error) or a
   * negative value on failure, with a message in `error` (NUL-terminated, at most
   * error_len bytes). *ctx receives the plugin's state, passed to every later call.
   * Called once, before anything else. */
  int (*probe)(const struct accz_provider_config* config, void** ctx, char* error,
               size_t error_len);

  /* Fills *info for device `device` (0 ≤ device < probe's count). Returns 0, or -1 if
   * `device` is out of range. Thread-safe. */
  int (*device_info)(void* ctx, uint32_t device, struct accz_device_info* info);

  /* 1 if `device` can take a request of this shape, else 0. Cheap and side-effect free;
   * the request's buffers may be read only to look at sizes. Thread-safe. */
  int (*supports)(void* ctx, uint32_t device, const struct accz_request* req);

  /* Takes `req` for asynchronous processing on `instance` (modulo the device's instance
   * count). ACCZ_STATUS_OK: accepted, `done(cookie, result)` will be called once. BUSY or
   * UNSUPPORTED: nothing taken. Never blocks for long. Thread-safe. `cookie` is unique
   * among the requests in flight and identifies the request to abort(). */
  uint32_t (*submit)(void* ctx, uint32_t device, uint32_t instance, const struct accz_request* req,
                     accz_completion_fn done, void* cookie);

  /* Stops the request identified by `cookie`. 1: the plugin will never touch the request
   * or its buffers again and will not call its completion. 0: it has completed or is
   * about to (the completion arrives as usual). Thread-safe; may race with completion,
   * which the plugin resolves. */
  int (*abort)(void* ctx, uint32_t device, void* cookie);

  /* For devices without threads of their own: completes up to `max` finished requests by
   * calling their callbacks on this thread, returns how many. A plugin with its own
   * completion threads returns 0. May be NULL. Thread-safe. */
  size_t (*poll)(void* ctx, uint32_t device, size_t max);

  /* Frees everything; stops and joins the plugin's threads. Called once, after every
   * accepted request was completed or aborted. */
  void (*destroy)(void* ctx);
};

/* The one symbol a plugin exports, and its type for dlsym(). A plugin defines it as
 *   ACCZ_PROVIDER_EXPORT const struct accz_provider_table_v1* accz_provider_v1(void) { ... }
 * Thread-safe; returns the same table every time. */
#if defined(__GNUC__) || defined(__clang__)
#define ACCZ_PROVIDER_EXPORT __attribute__((visibility("default")))
#else
#define ACCZ_PROVIDER_EXPORT
#endif
ACCZ_PROVIDER_EXPORT const struct accz_provider_table_v1* accz_provider_v1(void);
typedef const struct accz_provider_table_v1* (*accz_provider_entry_v1)(void);

#ifdef __cplusplus
}
#endif

#endif /* ACCZ_PROVIDER_ABI_H_ */
