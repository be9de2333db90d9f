// A vhost-user virtio-console device server for UML's virtio_uml driver
// (kernel parameter virtio_uml.device=SOCKET:3). It offers one port, by
// default org.libguestfs.channel.0, and moves that port's bytes to and from a
// host socket in both directions, with backpressure and without busy-waiting,
// on a thread of its own. It serves one connection; when UML goes away (power
// off, crash, kill) the thread ends by itself.
#pragma once

#include "guestuml/unique_fd.hpp"

#include <atomic>
#include <boost/filesystem/path.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace guestuml::vhost {

inline constexpr const char* kLibguestfsChannelName = "org.libguestfs.channel.0";

class VirtioConsoleServer {
public:
    using EndHandler = std::function<void(const std::string& error)>;

    // Binds and listens on socket_path (which must not exist) before returning,
    // so UML may be started at once. host_fd: a connected stream socket, not
    // owned; it must stay open until this object is destroyed. Throws Error.
    // on_end, if set, runs once on the serving thread just after it ends, with
    // error() (empty when UML simply disconnected); it must not destroy this object.
    VirtioConsoleServer(const boost::filesystem::path& socket_path, int host_fd,
                        std::string port_name = kLibguestfsChannelName, EndHandler on_end = {});
    // The same with a socket that is already bound and listening (taken over).
    VirtioConsoleServer(UniqueFd listening_socket, int host_fd, std::string port_name = kLibguestfsChannelName,
                        EndHandler on_end = {});
    VirtioConsoleServer(const VirtioConsoleServer&) = delete;
    VirtioConsoleServer& operator=(const VirtioConsoleServer&) = delete;
    // Stops the thread, closes the connection and removes the socket file.
    ~VirtioConsoleServer();

    // True once the serving thread has ended (UML disconnected or an error).
    bool finished() const { return finished_.load(); }
    // Why the thread ended early (protocol error, malformed ring); empty otherwise.
    std::string error() const;
    // Whether UML has connected.
    bool connected() const { return connected_.load(); }

    std::uint64_t bytes_to_guest() const { return bytes_to_guest_.load(); }
    std::uint64_t bytes_from_guest() const { return bytes_from_guest_.load(); }

private:
    void run() noexcept;
    void serve(int connection);

    boost::filesystem::path socket_path_; // removed on destruction when we created it
    UniqueFd listener_;
    int host_fd_;
    std::string port_name_;
    EndHandler on_end_;
    UniqueFd stop_;                       // eventfd: tells the thread to end
    std::atomic<bool> finished_{false};
    std::atomic<bool> connected_{false};
    std::atomic<std::uint64_t> bytes_to_guest_{0};
    std::atomic<std::uint64_t> bytes_from_guest_{0};
    mutable std::mutex error_mutex_;
    std::string error_;
    std::thread thread_;                  // last: starts after everything above exists
};

} // namespace guestuml::vhost
