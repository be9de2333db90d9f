// A boot profile: one appliance boot with the kernel's and guestuml-init's
// messages on the console, each console line stamped with the host time it
// arrived, reduced to the phases of a launch (UML start, kernel, /init, the
// init's steps, guestfsd start, ready).
#pragma once

#include "guestuml/appliance_cache.hpp"

#include <string>
#include <utility>
#include <vector>

namespace guestuml::bench {

struct BootPhase {
    std::string name;
    double host_ms = -1;    // since the launch began, as the host saw it; -1: not seen
    double guest_ms = -1;   // the guest's own clock (printk time, init's "at N ms"); -1: none
};

struct BootProfile {
    std::vector<BootPhase> phases;
};

// Boots the appliance once with guestuml_profile=1 and loglevel=7, waits for
// guestfsd's launch flag, shuts down. Throws Error.
BootProfile profile_boot(const ApplianceFiles& appliance);

// One table, a column pair (host, guest) per profile, rows by phase name.
void print_profiles(const std::vector<std::pair<std::string, BootProfile>>& profiles);

} // namespace guestuml::bench
