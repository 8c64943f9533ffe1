// The one place in libaccz that names zlib's exported functions: it only takes their
// addresses to fill the default table.
#include "engines/zlib/zlib_api.h"

#include <atomic>

namespace accz {
namespace {

const ZlibApi kSystem = {
    &::zlibVersion,  &::deflateInit2_,        &::deflate,       &::deflateEnd,
    &::deflateReset, &::deflateSetDictionary, &::deflateParams, &::deflateBound,
    &::deflatePrime, &::inflateInit2_,        &::inflate,       &::inflateEnd,
    &::inflateReset, &::inflateSetDictionary,
};

// Tables handed out must stay valid for objects that copied a pointer to them, so a
// replaced table is never freed: set_zlib_api() runs a handful of times per process at most.
std::atomic<const ZlibApi*> g_current{&kSystem};

}  // namespace

const ZlibApi& system_zlib_api() { return kSystem; }

const ZlibApi& zlib_api() { return *g_current.load(std::memory_order_acquire); }

void set_zlib_api(const ZlibApi& api) {
  g_current.store(new ZlibApi(api), std::memory_order_release);
}

}  // namespace accz
