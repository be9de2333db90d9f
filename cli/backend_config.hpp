// How guestuml configures libguestfs: the direct backend, our qemu stand-in as
// the hypervisor and our cached UML appliance as the fixed appliance.
#pragma once

#include "guestuml/appliance_cache.hpp"

#include <string>
#include <vector>

namespace guestuml::cli {

struct BackendConfig {
    std::string backend = "direct";
    std::string hv;     // LIBGUESTFS_HV; empty: libguestfs's default (qemu)
    std::string path;   // LIBGUESTFS_PATH; empty: libguestfs's default appliance
};

// Resolves guestuml's configuration, building the appliance if it is not cached.
// GUESTUML_REFERENCE=qemu selects stock libguestfs on QEMU instead (for tests
// that need reference output). Throws Error.
BackendConfig resolve_backend_config(const ProgressFn& progress = {});

// The "NAME=VALUE" settings that make a stock libguestfs program use config.
std::vector<std::string> backend_environment(const BackendConfig& config);

} // namespace guestuml::cli
