// A minimal client of guestfsd's wire protocol (libguestfs's XDR messages), for
// tests that must check what guestfsd sees without the libguestfs library.
// Covers the few calls the backend tests need.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace guestuml::test {

class GuestfsdClient {
public:
    // fd: the host end of the channel, after the launch flag was read.
    explicit GuestfsdClient(int fd, std::chrono::milliseconds timeout = std::chrono::seconds(60))
        : fd_(fd), timeout_(timeout) {}

    std::vector<std::string> list_devices();
    void mount(const std::string& device, const std::string& mountpoint);
    void umount(const std::string& path);
    void touch(const std::string& path);
    void sync();

private:
    // Sends one call and returns the reply's result bytes; throws Error carrying
    // guestfsd's error message on a failed call.
    std::string call(std::uint32_t proc, const std::string& args, std::uint64_t optargs_bitmask = 0);
    void write_all(const std::string& data);
    std::string read_exact(size_t size);

    int fd_;
    std::chrono::milliseconds timeout_;
    std::uint32_t serial_ = 0x10000;
};

} // namespace guestuml::test
