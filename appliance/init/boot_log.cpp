#include "boot_log.hpp"

#include "sys.hpp"

#include <cstdio>
#include <fmt/format.h>

namespace guestuml::init {

BootLog::BootLog(bool verbose) : verbose_(verbose) {}

void BootLog::note(std::string_view message) const
{
    if (verbose_)
        fmt::print(stderr, "guestuml-init: {}\n", message);
}

void BootLog::warn(std::string_view message) const
{
    fmt::print(stderr, "guestuml-init: warning: {}\n", message);
}

void BootLog::step_done(std::string_view step, double started_ms) const
{
    if (!verbose_)
        return;
    const double now = now_ms();
    // The monotonic clock starts at boot, so "now" is also the time since the kernel started.
    fmt::print(stderr, "guestuml-init: {}: {:.1f} ms (at {:.0f} ms)\n", step, now - started_ms, now);
}

double BootLog::now_ms() { return monotonic_ms(); }

} // namespace guestuml::init
