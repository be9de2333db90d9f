// The init's voice on the console: warnings always, step timings only when
// guestfs_verbose=1 asked for them.
#pragma once

#include <string_view>

namespace guestuml::init {

class BootLog {
public:
    explicit BootLog(bool verbose = false);

    void set_verbose(bool verbose) noexcept { verbose_ = verbose; }
    bool verbose() const noexcept { return verbose_; }

    // A line shown only in verbose mode.
    void note(std::string_view message) const;
    // A line always shown: something is degraded but the boot goes on.
    void warn(std::string_view message) const;
    // In verbose mode: "STEP: N ms" since started_ms, and the time since boot.
    void step_done(std::string_view step, double started_ms) const;

    // Runs step(), then reports its duration.
    template <typename F>
    void timed(std::string_view name, F&& step) const
    {
        const double start = now_ms();
        step();
        step_done(name, start);
    }

private:
    static double now_ms();
    bool verbose_;
};

} // namespace guestuml::init
