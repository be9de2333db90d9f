// The kernel command line libguestfs builds for a PC guest, filtered down to
// what means something to the UML appliance. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace guestuml::plugin {

// Splits append on spaces and keeps guestfs_*, TERM=, quiet and any parameter
// the user added (LIBGUESTFS_APPEND); drops the PC-only parameters libguestfs
// always adds (console=ttyS0, edd=off, lpj=, ...) and root=/init=/ro/rw, which
// the backend sets for the UML root device.
std::vector<std::string> appliance_kernel_args(std::string_view append);

} // namespace guestuml::plugin
