// Opening libfabric at run time; see fabric_library.h.
#include "transport/ofi/fabric_library.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"

namespace ultracc::transport::ofi {
namespace {

// The ABI soname; the headers we build against are of the same major version.
constexpr char kLibraryFile[] = "libfabric.so.1";

template <typename Function>
bool Bind(void* handle, const char* name, Function*& function, std::string& missing) {
  function = reinterpret_cast<Function*>(dlsym(handle, name));
  if (function == nullptr) absl::StrAppend(&missing, missing.empty() ? "" : ", ", name);
  return function != nullptr;
}

absl::StatusOr<FabricLibrary> Open() {
  void* handle = dlopen(kLibraryFile, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return absl::UnavailableError(absl::StrCat("ofi: cannot load ", kLibraryFile, ": ",
                                               why != nullptr ? why : "unknown reason"));
  }
  FabricLibrary library;
  std::string missing;
  Bind(handle, "fi_getinfo", library.getinfo, missing);
  Bind(handle, "fi_freeinfo", library.freeinfo, missing);
  Bind(handle, "fi_dupinfo", library.dupinfo, missing);
  Bind(handle, "fi_fabric", library.fabric, missing);
  Bind(handle, "fi_strerror", library.strerror, missing);
  Bind(handle, "fi_version", library.version, missing);
  if (!missing.empty()) {
    dlclose(handle);
    return absl::UnavailableError(
        absl::StrCat("ofi: ", kLibraryFile, " lacks ", missing, " (libfabric 1.x expected)"));
  }
  // The handle stays open for the life of the process: providers keep threads and memory.
  return library;
}

const absl::StatusOr<FabricLibrary>& Library() {
  static const absl::StatusOr<FabricLibrary>* const library =
      new absl::StatusOr<FabricLibrary>(Open());
  return *library;
}

}  // namespace

absl::StatusOr<const FabricLibrary*> LoadFabricLibrary() {
  const absl::StatusOr<FabricLibrary>& library = Library();
  if (!library.ok()) return library.status();
  return &*library;
}

const FabricLibrary& LoadedFabricLibrary() {
  const absl::StatusOr<FabricLibrary>& library = Library();
  if (!library.ok()) {
    std::fprintf(stderr, "ultracc: libfabric used before it was loaded: %s\n",
                 std::string(library.status().message()).c_str());
    std::abort();
  }
  return *library;
}

}  // namespace ultracc::transport::ofi
