// Builds one fixed appliance directory from its inputs: supermin's chroot from
// libguestfs's supermin.d, adapted for UML (our init, the udevadm shim, the
// kernel modules), packed into an ext2 image.
#pragma once

#include "guestuml/appliance_cache.hpp"

#include <boost/filesystem/path.hpp>

namespace guestuml {

// Writes kernel, initrd, root and README.fixed into dir (which exists and is
// empty), using dir for its scratch files and leaving only those four. Throws Error.
void build_appliance(const boost::filesystem::path& dir, const ApplianceInputs& inputs,
                     const ProgressFn& progress);

} // namespace guestuml
