// A UML guest whose init is channel_guest, wired to a VirtioConsoleServer:
// the tests' (and the channel benchmark's) way to reach a real guest's port.
#pragma once

#include "guestuml/process.hpp"
#include "guestuml/temp_dir.hpp"
#include "guestuml/unique_fd.hpp"
#include "vhost/virtio_console_server.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace guestuml::channel_test {

class UmlChannelGuest {
public:
    // Makes a root image with the guest program and virtio_console.ko, starts
    // the device server and boots UML. mode, bytes and io go to the guest as
    // chmode=, chbytes= and chio= (see channel_guest.cpp). Throws Error.
    UmlChannelGuest(const std::string& mode, std::uint64_t bytes, const std::string& io = "plain");
    ~UmlChannelGuest();

    // The host end of the channel (the device server has the other end).
    int fd() const { return host_end_.get(); }
    // Closes the host end, as a client going away would.
    void close_host_end() { host_end_.reset(); }
    vhost::VirtioConsoleServer& server() { return *server_; }
    Process& uml() { return uml_; }

    // Waits for UML to exit; nullopt on time-out.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) { return uml_.wait_for(timeout); }
    // What the guest printed (kernel log, errors).
    std::string console_log() const;

    // Host side I/O with a 30 s limit; they throw Error, quoting the console.
    void send_all(const unsigned char* data, std::size_t size);
    std::size_t receive_some(unsigned char* data, std::size_t size);
    // Sends the guest's final acknowledgement and waits for it to power off.
    void finish();

private:
    void wait_for(short events);

    TempDir dir_;
    UniqueFd host_end_;
    UniqueFd server_end_;
    std::unique_ptr<vhost::VirtioConsoleServer> server_;
    Process uml_;
};

} // namespace guestuml::channel_test
