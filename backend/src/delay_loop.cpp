#include "delay_loop.hpp"

#include <algorithm>
#include <chrono>

namespace guestuml {
namespace {

// UML's HZ is fixed at 100 (arch/um/Kconfig).
constexpr double uml_hz = 100;

#if defined(__x86_64__)
// The kernel's x86 delay loop is a 16-byte-aligned decrement-and-branch; the
// count per second of the same two instructions is what it would calibrate.
void spin(unsigned long turns) noexcept
{
    asm volatile(".p2align 4\n1:\n\tdec %0\n\tjnz 1b" : "+r"(turns) : : "cc");
}

// Turns per second over one run of the given length.
double turns_per_second(unsigned long turns) noexcept
{
    const auto start = std::chrono::steady_clock::now();
    spin(turns);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    return took.count() > 0 ? turns / took.count() : 0;
}
#endif

} // namespace

unsigned long measure_loops_per_jiffy() noexcept
{
#if defined(__x86_64__)
    // A first short run sizes the others at about 1 ms each; the fastest wins,
    // because preemption only ever makes a run look slower.
    const double estimate = turns_per_second(1'000'000);
    if (estimate <= 0)
        return 0;
    const auto turns = static_cast<unsigned long>(std::max(estimate * 0.001, 1'000'000.0));
    double best = estimate;
    for (int i = 0; i < 3; ++i)
        best = std::max(best, turns_per_second(turns));
    return static_cast<unsigned long>(best / uml_hz);
#else
    return 0;
#endif
}

} // namespace guestuml
