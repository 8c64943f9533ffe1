// Loading, checking and probing a provider plugin.
#include "providers/plugin/plugin_library.h"

#include <dlfcn.h>

#include <array>

namespace accz::plugin {

std::shared_ptr<Library> Library::open(const std::string& path, const accz_provider_config& config,
                                       uint32_t* device_count, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error) *error = "plugin '" + path + "': " + why;
    return nullptr;
  };
  *device_count = 0;
  if (path.empty()) return fail("empty path");
  std::shared_ptr<Library> lib(new Library());
  lib->path_ = path;
  // RTLD_NOW: a plugin with missing symbols fails here, not in the middle of a request.
  // RTLD_LOCAL: its symbols (its own zlib, say) never interpose on ours or another plugin's.
  lib->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib->handle_) {
    const char* why = dlerror();
    return fail(std::string("cannot load: ") + (why ? why : "unknown dlopen error"));
  }
  dlerror();
  void* sym = dlsym(lib->handle_, ACCZ_PROVIDER_ENTRY_V1);
  if (!sym) {
    const char* why = dlerror();
    return fail(std::string("not an accz provider: no symbol '") + ACCZ_PROVIDER_ENTRY_V1 + "' (" +
                (why ? why : "not found") + ")");
  }
  auto entry = reinterpret_cast<accz_provider_entry_v1>(sym);
  lib->table_ = entry();
  if (!lib->table_) return fail(std::string(ACCZ_PROVIDER_ENTRY_V1) + "() returned no table");
  const accz_provider_table_v1& t = *lib->table_;
  if (t.abi_version != ACCZ_PROVIDER_ABI_VERSION) {
    return fail("provider ABI version " + std::to_string(t.abi_version) +
                " does not match the version accz implements (" +
                std::to_string(ACCZ_PROVIDER_ABI_VERSION) + ")");
  }
  if (!t.probe || !t.device_info || !t.supports || !t.submit || !t.abort || !t.destroy)
    return fail(
        "function table is missing a required entry (probe, device_info, supports, "
        "submit, abort or destroy)");

  std::array<char, 256> msg{};
  int n = t.probe(&config, &lib->ctx_, msg.data(), msg.size());
  msg.back() = '\0';
  if (n < 0) {
    lib->ctx_ = nullptr;  // a failed probe owns nothing for destroy() to free
    return fail(std::string("probe failed") + (msg[0] ? ": " + std::string(msg.data()) : ""));
  }
  lib->probed_ = true;
  *device_count = static_cast<uint32_t>(n);
  return lib;
}

Library::~Library() {
  if (probed_) table_->destroy(ctx_);
  if (handle_) dlclose(handle_);
}

}  // namespace accz::plugin
