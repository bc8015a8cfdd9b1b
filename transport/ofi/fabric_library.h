// libfabric, opened when the ofi transport is first used instead of linked into every program.
// Loading it runs its providers' constructors (psm's calibrates the CPU clock in a sleep loop for a
// fifth of a second on a virtual machine), which every launcher, daemon and rank paid at start
// whether or not its job used ofi. The efa, tcp and shm paths call through this one table.
#pragma once

#include <rdma/fabric.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace ultracc::transport::ofi {

// The library's exported entry points the transport calls; everything else in libfabric's API is
// inline and goes through the objects' operation tables.
struct FabricLibrary {
  int (*getinfo)(uint32_t version, const char* node, const char* service, uint64_t flags,
                 const fi_info* hints, fi_info** info) = nullptr;
  void (*freeinfo)(fi_info* info) = nullptr;
  fi_info* (*dupinfo)(const fi_info* info) = nullptr;
  int (*fabric)(fi_fabric_attr* attr, fid_fabric** fabric, void* context) = nullptr;
  const char* (*strerror)(int code) = nullptr;
  uint32_t (*version)() = nullptr;
};

// The library, loaded on the first call (once per process, thread-safe). An error names the file
// and the loader's reason, e.g. when libfabric is not installed.
absl::StatusOr<const FabricLibrary*> LoadFabricLibrary();

// The loaded library, for code that runs only once LoadFabricLibrary succeeded (anything holding
// an fi_info or a fid). Aborts otherwise: that would be a bug, not a condition of the host.
const FabricLibrary& LoadedFabricLibrary();

}  // namespace ultracc::transport::ofi
