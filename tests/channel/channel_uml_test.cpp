// A real UML guest talking through our vhost-user virtio-console device:
// the named port appears, data crosses both ways intact, and the server ends
// cleanly when UML is killed or the client goes away mid-transfer.
#include "channel_throughput.hpp"
#include "test_pattern.hpp"
#include "uml_channel_guest.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <fmt/format.h>
#include <random>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace guestuml::channel_test;

namespace {

void wait_finished(UmlChannelGuest& guest)
{
    for (int i = 0; i < 100 && !guest.server().finished(); ++i)
        std::this_thread::sleep_for(50ms);
}

} // namespace

TEST_CASE("data crosses the channel both ways intact", "[uml]")
{
    constexpr std::size_t kBytes = 4 << 20;
    std::vector<unsigned char> data(kBytes);
    std::mt19937_64 random(42);
    for (auto& b : data)
        b = static_cast<unsigned char>(random());

    UmlChannelGuest guest("echo", kBytes);
    std::exception_ptr writer_error;
    std::thread writer([&] {
        try {
            guest.send_all(data.data(), data.size());
        } catch (...) {
            writer_error = std::current_exception();
        }
    });
    std::vector<unsigned char> back(kBytes);
    std::size_t got = 0;
    try {
        while (got < kBytes)
            got += guest.receive_some(back.data() + got, kBytes - got);
    } catch (...) {
        guest.uml().kill(); // unblocks the writer
        writer.join();
        throw;
    }
    writer.join();
    if (writer_error)
        std::rethrow_exception(writer_error);
    CHECK(back == data);
    guest.finish();
    CHECK(guest.server().finished());
    CHECK(guest.server().error() == "");
    CHECK(guest.server().bytes_to_guest() == kBytes + 1);
    CHECK(guest.server().bytes_from_guest() == kBytes);
}

TEST_CASE("bulk data both ways, checked, with plain and vectored guest I/O", "[uml]")
{
    // Small: host to guest runs at a few MB/s here (see bench/channel_bench).
    constexpr std::uint64_t kBytes = 8 << 20;
    for (const char* io : {"plain", "vector"}) {
        double in = measure_host_to_guest(kBytes, io);
        double out = measure_guest_to_host(kBytes, io);
        WARN(fmt::format("{} guest I/O: host to guest {:.0f} MB/s, guest to host {:.0f} MB/s", io, in, out));
    }
}

TEST_CASE("the server ends cleanly when UML is killed mid-transfer", "[uml]")
{
    UmlChannelGuest guest("source", std::uint64_t{1} << 40);
    std::vector<unsigned char> buf(1 << 20);
    std::size_t got = 0;
    while (got < (8 << 20))
        got += guest.receive_some(buf.data(), buf.size());
    guest.uml().kill();
    wait_finished(guest);
    CHECK(guest.server().finished());
}

TEST_CASE("the guest sees the port close when the client goes away mid-transfer", "[uml]")
{
    UmlChannelGuest guest("sink", std::uint64_t{1} << 40);
    const auto pattern = make_pattern();
    for (int i = 0; i < 2; ++i)
        guest.send_all(pattern.data(), pattern.size());
    guest.close_host_end();
    // The guest's read returns end-of-file; it reports that and powers off.
    auto status = guest.wait_exit(30s);
    if (!status)
        FAIL("UML did not power off after the client left; console:\n" << guest.console_log());
    wait_finished(guest);
    CHECK(guest.server().finished());
    CHECK(guest.server().error() == "");
}
