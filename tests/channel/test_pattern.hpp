// The byte stream both ends of the channel tests agree on: a fixed
// pseudo-random block repeated, cheap to produce and to check at any offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace guestuml::channel_test {

inline constexpr std::size_t kPatternSize = 1 << 20;

inline std::vector<unsigned char> make_pattern()
{
    std::vector<unsigned char> pattern(kPatternSize);
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    for (std::size_t i = 0; i < kPatternSize; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        for (std::size_t b = 0; b < 8; ++b)
            pattern[i + b] = static_cast<unsigned char>(x >> (8 * b));
    }
    return pattern;
}

} // namespace guestuml::channel_test
