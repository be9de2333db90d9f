#include "channel_throughput.hpp"

#include "guestuml/error.hpp"
#include "test_pattern.hpp"
#include "uml_channel_guest.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <vector>

namespace guestuml::channel_test {

namespace {

double mb_per_s(std::uint64_t bytes, std::chrono::steady_clock::duration d)
{
    return static_cast<double>(bytes) / 1e6 / std::chrono::duration<double>(d).count();
}

} // namespace

double measure_host_to_guest(std::uint64_t bytes, const std::string& io)
{
    const auto pattern = make_pattern();
    UmlChannelGuest guest("sink", bytes, io);
    // The clock starts with the first byte the guest takes, not at boot.
    guest.send_all(pattern.data(), 1);
    auto start = std::chrono::steady_clock::now();
    std::uint64_t sent = 1;
    while (sent < bytes) {
        std::size_t at = sent % kPatternSize;
        std::size_t n = std::min<std::uint64_t>(kPatternSize - at, bytes - sent);
        guest.send_all(pattern.data() + at, n);
        sent += n;
    }
    char reply[64] = {};
    std::size_t len = 0;
    while (len == 0 || reply[len - 1] != '\n') {
        if (len == sizeof reply - 1)
            throw Error("the guest's reply is too long");
        len += guest.receive_some(reinterpret_cast<unsigned char*>(reply) + len, sizeof reply - 1 - len);
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    if (std::string(reply) != fmt::format("{} 0\n", bytes))
        throw Error(fmt::format("the guest received '{}' (count, damaged pieces), expected {} bytes intact",
                                std::string(reply, len - 1), bytes));
    guest.finish();
    return mb_per_s(bytes, elapsed);
}

double measure_guest_to_host(std::uint64_t bytes, const std::string& io)
{
    const auto pattern = make_pattern();
    UmlChannelGuest guest("source", bytes, io);
    std::vector<unsigned char> buf(kPatternSize);
    std::uint64_t got = guest.receive_some(buf.data(), 1);
    auto start = std::chrono::steady_clock::now();
    bool damaged = buf[0] != pattern[0];
    while (got < bytes) {
        std::size_t at = got % kPatternSize;
        std::size_t n = guest.receive_some(buf.data(), std::min<std::uint64_t>(kPatternSize - at, bytes - got));
        damaged |= std::memcmp(buf.data(), pattern.data() + at, n) != 0;
        got += n;
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    if (damaged)
        throw Error("data from the guest arrived damaged");
    guest.finish();
    return mb_per_s(bytes, elapsed);
}

} // namespace guestuml::channel_test
