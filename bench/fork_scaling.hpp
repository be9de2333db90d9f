// How the host itself scales process creation to two CPUs: the floor under any
// two-at-once figure for UML, whose every guest process and address-space
// change is host process and page-table work. On nested VMs with shadow paging
// it can be far from 1x; QEMU's TCG does none of that work and is not bound by it.
#pragma once

namespace guestuml::bench {

struct ForkScaling {
    double one_seconds = 0;   // one process forking and reaping `forks` children
    double two_seconds = 0;   // two such processes at once (the slower one's time)
};

// Measures fork + _exit + waitpid, `forks` times, alone and two at once. Throws Error.
ForkScaling measure_fork_scaling(int forks);

} // namespace guestuml::bench
