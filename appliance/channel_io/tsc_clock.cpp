#include "tsc_clock.hpp"

namespace guestuml::channel_io {

namespace {

std::uint64_t to_us(const timeval& t)
{
    return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(t.tv_usec);
}

timeval from_us(std::uint64_t us)
{
    return {static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

std::uint64_t distance(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : b - a; }

} // namespace

bool TscClock::carried(std::uint64_t tsc, timeval& out)
{
    // An unsigned difference: a counter that went backwards (another CPU's,
    // or a migrated host) looks far in the future and forces a real reading.
    const std::uint64_t ticks = tsc - last_tsc_;
    if (!have_reading_ || ticks_per_us_ <= 0 || carried_calls_ >= carry_calls ||
        static_cast<double>(ticks) >= carry_us * ticks_per_us_)
        return false;
    ++carried_calls_;
    std::uint64_t us = last_us_ + static_cast<std::uint64_t>(static_cast<double>(ticks) / ticks_per_us_);
    // Carried times must not run backwards past one already handed out.
    if (us < returned_us_)
        us = returned_us_;
    returned_us_ = us;
    out = from_us(us);
    return true;
}

void TscClock::restart_calibration(std::uint64_t us, std::uint64_t tsc, std::uint64_t uncertainty)
{
    base_us_ = us;
    base_tsc_ = tsc;
    base_uncertainty_ = uncertainty;
    ticks_per_us_ = 0;
}

timeval TscClock::real(const timeval& now, std::uint64_t tsc_before, std::uint64_t tsc_after)
{
    const std::uint64_t us = to_us(now);
    // The reading was taken somewhere between the two counter values.
    const std::uint64_t uncertainty = (tsc_after - tsc_before) / 2;
    const std::uint64_t tsc = tsc_before + uncertainty;
    carried_calls_ = 0;
    if (!have_reading_ || tsc_after < tsc_before || us < base_us_ || tsc < base_tsc_) {
        restart_calibration(us, tsc, uncertainty);
    } else if (ticks_per_us_ > 0 &&
               distance(us, last_us_ + static_cast<std::uint64_t>(static_cast<double>(tsc - last_tsc_) /
                                                                  ticks_per_us_)) >= stray_us) {
        // The clock was set, the counter jumped, or the rate was wrong: carry
        // nothing until a new calibration.
        restart_calibration(us, tsc, uncertainty);
    } else if (us - base_us_ >= calibration_us) {
        // Only from readings whose own uncertainty is a thousandth of the span
        // at most: a reading delayed in its system call would skew the rate.
        const std::uint64_t span = tsc - base_tsc_;
        if ((base_uncertainty_ + uncertainty) * 1000 <= span) {
            ticks_per_us_ = static_cast<double>(span) / static_cast<double>(us - base_us_);
            // Follow slow drift between the counter and the clock: recalibrate
            // over spans of about a second.
            if (us - base_us_ >= 1'000'000) {
                base_us_ = us;
                base_tsc_ = tsc;
                base_uncertainty_ = uncertainty;
            }
        } else if (ticks_per_us_ <= 0 && uncertainty < base_uncertainty_) {
            restart_calibration(us, tsc, uncertainty);
        }
    }
    last_us_ = us;
    last_tsc_ = tsc;
    have_reading_ = true;
    // A carried time can run ahead of the clock by the error of the reading's
    // midpoint (half a system call). Further ahead, the clock itself was set back.
    if (us >= returned_us_ || returned_us_ - us >= carry_us)
        returned_us_ = us;
    return from_us(returned_us_);
}

} // namespace guestuml::channel_io
