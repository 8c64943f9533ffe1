// The allocator a stream gets when its caller leaves zalloc/zfree unset.
//
// Left alone, the private real zlib would allocate such a stream's state with the malloc of
// its own namespace's libc: memory that the program's allocator (jemalloc, tcmalloc), leak
// checkers and heap profilers never see, and whose arena locks the program's fork() does not
// take, so a child forked while another thread was inside that malloc could deadlock in zlib.
// Installing the program's malloc/free as zalloc/zfree before the real *Init* runs keeps all
// stream memory in the program's heap; zlib would set these fields anyway (to its zcalloc), so
// callers see no difference. On a failed init the caller's values are put back.
//
// Thread safety: touches only the given stream.
#pragma once

#include "zlib/zlib_api.h"

namespace accz::zlib {

// Runs init (a call of a real *Init* function on strm) with the program's allocator installed
// in the fields the caller left null; returns init's result.
template <typename Init>
int init_with_host_allocator(z_streamp strm, Init&& init);

voidpf host_zalloc(voidpf opaque, uInt items, uInt size);
void host_zfree(voidpf opaque, voidpf address);

template <typename Init>
int init_with_host_allocator(z_streamp strm, Init&& init) {
  if (strm == Z_NULL) return init();  // zlib's own answer: Z_STREAM_ERROR
  const alloc_func caller_zalloc = strm->zalloc;
  const free_func caller_zfree = strm->zfree;
  if (caller_zalloc == Z_NULL) strm->zalloc = host_zalloc;
  if (caller_zfree == Z_NULL) strm->zfree = host_zfree;
  const int rc = init();
  if (rc != Z_OK) {
    strm->zalloc = caller_zalloc;
    strm->zfree = caller_zfree;
  }
  return rc;
}

}  // namespace accz::zlib
