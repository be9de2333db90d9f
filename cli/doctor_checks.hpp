// The host checks behind `guestuml doctor`: each says whether one thing UML and
// libguestfs need is in place and, if not, how to fix it.
#pragma once

#include "guestfs_session.hpp"

#include <string>
#include <vector>

namespace guestuml::cli {

struct CheckResult {
    std::string name;     // what was checked
    bool ok = false;
    std::string detail;   // what was found
    std::string fix;      // how to fix it (when not ok)
};

// UML runs its guest processes under ptrace.
CheckResult check_ptrace();
// UML maps its guest memory from a file in $TMPDIR (else /dev/shm) with PROT_EXEC.
CheckResult check_exec_tmp();
// One result per Debian package guestuml needs (dpkg-query), with its key file.
std::vector<CheckResult> check_packages();
// guestuml's own helper programs (the qemu stand-in, the guest init, the udevadm shim,
// the Augeas preload and its table writer).
std::vector<CheckResult> check_helpers();
// The cached appliance (built now if missing, which takes about 30 s).
CheckResult check_appliance();
// Boots the appliance over a scratch disk through libguestfs, end to end.
CheckResult check_launch(const SessionOptions& options);

} // namespace guestuml::cli
