// The one place in libaccz that names zlib's exported functions: it only takes their
// addresses to fill the default table.
#include "engines/zlib/zlib_api.h"

#include <mutex>

namespace accz {
namespace {

const ZlibApi kSystem = {
    &::zlibVersion,  &::deflateInit2_,        &::deflate,       &::deflateEnd,
    &::deflateReset, &::deflateSetDictionary, &::deflateParams, &::deflateBound,
    &::deflatePrime, &::inflateInit2_,        &::inflate,       &::inflateEnd,
    &::inflateReset, &::inflateSetDictionary,
};

std::mutex g_mu;

// Guarded by g_mu; read only when an engine object is made. A function-local static, so a
// static initialiser elsewhere that makes an engine never sees it unset.
ZlibApi& current() {
  static ZlibApi table = kSystem;
  return table;
}

}  // namespace

const ZlibApi& system_zlib_api() { return kSystem; }

ZlibApi zlib_api() {
  std::lock_guard<std::mutex> lock(g_mu);
  return current();
}

void set_zlib_api(const ZlibApi& api) {
  std::lock_guard<std::mutex> lock(g_mu);
  current() = api;
}

}  // namespace accz
