// gettimeofday() without a system call for most calls: the time is carried
// forward from the last real reading by the CPU's time-stamp counter. UML has
// no vDSO that reads the time in the process, so each real call is a round trip
// through the host, and guestfsd reads the time once per 8 KiB transfer chunk
// (for its progress messages).
#pragma once

#include <cstdint>
#include <sys/time.h>

namespace guestuml::channel_io {

class TscClock {
public:
    // How far a reading is carried forward before the next real one.
    static constexpr std::uint64_t carry_us = 10'000;
    // ... and how many times at most, whatever the counter says.
    static constexpr unsigned carry_calls = 1024;
    // The shortest span between the real readings that calibrate the rate.
    static constexpr std::uint64_t calibration_us = 20'000;
    // A reading that strays this far from the carried time ends the calibration.
    static constexpr std::uint64_t stray_us = 1'000;

    constexpr TscClock() = default;

    // The time at counter value tsc, carried forward from the last real reading;
    // false when a real reading is due (too long since, or the rate unknown).
    bool carried(std::uint64_t tsc, timeval& out);
    // Takes a real reading, made between counter values tsc_before and
    // tsc_after, and returns the time to hand out: the reading, or a carried
    // time it falls just short of, so that the time does not step back.
    timeval real(const timeval& now, std::uint64_t tsc_before, std::uint64_t tsc_after);

private:
    void restart_calibration(std::uint64_t us, std::uint64_t tsc, std::uint64_t uncertainty);

    std::uint64_t last_us_ = 0, last_tsc_ = 0;     // the last real reading
    std::uint64_t base_us_ = 0, base_tsc_ = 0;     // the calibration's start
    std::uint64_t base_uncertainty_ = 0;           // its counter ticks either side
    std::uint64_t returned_us_ = 0;                // the latest time handed out
    double ticks_per_us_ = 0;                      // 0: not calibrated
    unsigned carried_calls_ = 0;                   // since the last real reading
    bool have_reading_ = false;
};

} // namespace guestuml::channel_io
