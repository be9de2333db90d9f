// UML's kernel calibrates its delay loop at every boot: it counts loop turns
// against 10 ms clock ticks until it converges, which took 40 to 250 ms of each
// launch here. The host can time the same loop in a few milliseconds and hand
// the kernel the answer with lpj=, which makes it skip the calibration.
#pragma once

namespace guestuml {

// Loops per jiffy for the UML kernel's delay loop on this CPU (UML's HZ is 100),
// from the fastest of a few short timed runs. 0 where it cannot be measured
// (not x86-64): the kernel then calibrates as usual.
unsigned long measure_loops_per_jiffy() noexcept;

} // namespace guestuml
