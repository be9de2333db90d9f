// Raw throughput of the virtio channel: host socket <-> guest port, both
// directions, with the guest doing plain read/write (as guestfsd does) and
// vectored readv/writev. Usage: channel_bench [MiB] (default 512).
#include "channel_throughput.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>

int main(int argc, char** argv)
{
    const unsigned long long mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 512;
    const std::uint64_t bytes = mib << 20;
    try {
        std::printf("virtio channel, %llu MiB each way (MB/s)\n", mib);
        std::printf("%-8s %14s %14s\n", "guest io", "host->guest", "guest->host");
        for (const char* io : {"plain", "vector"}) {
            double in = guestuml::channel_test::measure_host_to_guest(bytes, io);
            double out = guestuml::channel_test::measure_guest_to_host(bytes, io);
            std::printf("%-8s %14.0f %14.0f\n", io, in, out);
            std::fflush(stdout);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "channel_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
