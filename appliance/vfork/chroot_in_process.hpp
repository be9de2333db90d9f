// Chroot.f's child in guestfsd's own process (chroot_in_process.cpp).
#pragma once

#include "ocaml_build.hpp"

namespace guestuml::vfork {

// Called at Chroot.f's fork: true if the child is to run in this process, all
// set up for it (fork then returns 0); false, with nothing changed, for a real
// fork.
bool start_in_process_child(const OcamlBuild& build);

} // namespace guestuml::vfork
