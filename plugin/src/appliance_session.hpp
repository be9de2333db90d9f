// Runs a translated launch for libguestfs: connects guestfsd's channel to
// libguestfs's socket, boots the UML appliance, relays its console, and ends it
// the way qemu ends a guest.
#pragma once

#include "launch_translation.hpp"

namespace guestuml::plugin {

// Blocks until the guest powers off, libguestfs sends SIGTERM (or SIGINT/SIGHUP),
// or libguestfs's end of the console goes away; everything started is gone when
// it returns. Returns the process exit code: 0 after a signal or a power-off, as
// qemu does, 1 when the appliance died. Throws Error / LaunchError if it cannot start.
int run_appliance(LaunchPlan plan);

} // namespace guestuml::plugin
