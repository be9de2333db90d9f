// Raw channel throughput: a fresh guest moves a byte count of the test
// pattern one way, checked at the receiving end. Shared by the integration
// test and bench/channel_bench.
#pragma once

#include <cstdint>
#include <string>

namespace guestuml::channel_test {

// io: "plain" (read/write, as guestfsd does) or "vector" (readv/writev of many
// pieces per guest system call). Both return MB/s from the first byte moved
// to the last; they throw Error if the data arrives damaged or stalls.
double measure_host_to_guest(std::uint64_t bytes, const std::string& io);
double measure_guest_to_host(std::uint64_t bytes, const std::string& io);

} // namespace guestuml::channel_test
