// Finding and loading pki-http.so (see http.h).
#include <dlfcn.h>
#include <unistd.h>

#include <mutex>

#include "http.h"

#ifndef PKI_MODULE_RELDIR
#define PKI_MODULE_RELDIR "../lib/pki"
#endif

namespace pki::app::http {

namespace {

constexpr const char* kModuleFile = "pki-http.so";

std::string executable_dir() {
  std::string path(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= path.size()) return ".";
  path.resize(static_cast<std::size_t>(n));
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

Result<const Module*> load() {
  const std::string dir = executable_dir();
  const std::string candidates[] = {dir + "/" + kModuleFile, dir + "/" PKI_MODULE_RELDIR "/" + kModuleFile};
  std::string tried;
  for (const auto& path : candidates) {
    if (::access(path.c_str(), F_OK) != 0) {
      tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      return fail(ErrorCode::kStore,
                  "cannot load the HTTP module " + path + ": " + (why ? why : "dlopen failed"));
    }
    using Entry = const Module* (*)();
    auto entry = reinterpret_cast<Entry>(::dlsym(handle, "pki_http_module_v1"));
    if (entry == nullptr) return fail(ErrorCode::kStore, path + " is not pki's HTTP module (version 1)");
    return entry();
  }
  return fail(ErrorCode::kStore, "HTTP needs pki's module " + std::string(kModuleFile) +
                                     ", which is not installed (looked for " + tried + ")");
}

}  // namespace

Result<const Module*> module() {
  static std::once_flag once;
  static Result<const Module*> loaded = fail(ErrorCode::kInternal, "not loaded");
  std::call_once(once, [] { loaded = load(); });
  return loaded;
}

}  // namespace pki::app::http
