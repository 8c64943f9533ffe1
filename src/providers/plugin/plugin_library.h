// plugin_library.h — one loaded provider plugin: the dlopen() handle, its checked function
// table and the context its probe() returned.
//
// Promise: open() returns a library whose table has the expected ABI version and every
// required function, or nullptr with a message naming the path and the reason. The plugin's
// destroy() runs, then dlclose(), when the last owner (the loader, then each of the plugin's
// devices) lets go — so no device can outlive the code it calls.
//
// Thread-safety: immutable after open(); share it through std::shared_ptr.
#pragma once

#include <memory>
#include <string>

#include "accz/provider_abi.h"

namespace accz::plugin {

class Library {
 public:
  // Loads `path` and probes it with `config`. *device_count receives probe()'s answer.
  static std::shared_ptr<Library> open(const std::string& path, const accz_provider_config& config,
                                       uint32_t* device_count, std::string* error);
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  const accz_provider_table_v1& table() const { return *table_; }
  void* ctx() const { return ctx_; }
  const std::string& path() const { return path_; }

 private:
  Library() = default;
  void* handle_ = nullptr;
  const accz_provider_table_v1* table_ = nullptr;
  void* ctx_ = nullptr;
  bool probed_ = false;
  std::string path_;
};

}  // namespace accz::plugin
