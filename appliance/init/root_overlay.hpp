// Makes the read-only appliance root writable in memory: an overlayfs with a
// tmpfs upper layer becomes the new root, so the cached root image is never written.
#pragma once

#include "boot_log.hpp"

namespace guestuml::init {

// Needs /proc, /sys and /dev mounted and overlay.ko loaded; moves them into the
// new root, pivots into it and detaches the old one. Throws Error on failure,
// leaving the old root in place (possibly with a tmpfs left on /run).
void make_root_writable();

} // namespace guestuml::init
