#include "virtio_console_server.hpp"

#include "guestuml/error.hpp"
#include "vhost_user_session.hpp"
#include "virtio_console_device.hpp"

#include <array>
#include <boost/filesystem/operations.hpp>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <csignal>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace guestuml::vhost {

namespace {

UniqueFd listen_on(const boost::filesystem::path& path)
{
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string& name = path.native();
    if (name.size() >= sizeof addr.sun_path)
        throw Error(fmt::format("vhost-user socket path too long ({} bytes): {}", name.size(), name));
    std::memcpy(addr.sun_path, name.c_str(), name.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd)
        throw_errno("vhost-user: socket");
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == -1)
        throw_errno(fmt::format("vhost-user: binding {}", name));
    if (::listen(fd.get(), 1) == -1)
        throw_errno(fmt::format("vhost-user: listening on {}", name));
    return fd;
}

void require_stream_socket(int fd)
{
    struct stat st;
    if (::fstat(fd, &st) == -1)
        throw_errno(fmt::format("virtio-console: host descriptor {}", fd));
    int type = 0;
    socklen_t len = sizeof type;
    if (!S_ISSOCK(st.st_mode) || ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 || type != SOCK_STREAM)
        throw Error(fmt::format("virtio-console: host descriptor {} is not a stream socket", fd));
}

// A stalled front end must not hold the thread in the middle of a message.
void set_io_timeouts(int fd)
{
    timeval timeout{10, 0};
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) == -1 ||
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) == -1)
        throw_errno("vhost-user: setting socket timeouts");
}

void drain_eventfd(int fd)
{
    std::uint64_t count;
    while (::read(fd, &count, sizeof count) < 0 && errno == EINTR) {
    }
}

} // namespace

VirtioConsoleServer::VirtioConsoleServer(const boost::filesystem::path& socket_path, int host_fd,
                                         std::string port_name, EndHandler on_end)
    : VirtioConsoleServer(listen_on(socket_path), host_fd, std::move(port_name), std::move(on_end))
{
    socket_path_ = socket_path;
}

VirtioConsoleServer::VirtioConsoleServer(UniqueFd listening_socket, int host_fd, std::string port_name,
                                         EndHandler on_end)
    : listener_(std::move(listening_socket)), host_fd_(host_fd), port_name_(std::move(port_name)),
      on_end_(std::move(on_end))
{
    require_stream_socket(host_fd_);
    stop_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stop_)
        throw_errno("virtio-console: eventfd");
    thread_ = std::thread([this] { run(); });
}

VirtioConsoleServer::~VirtioConsoleServer()
{
    const std::uint64_t one = 1;
    if (::write(stop_.get(), &one, sizeof one) < 0) {
        // An eventfd write fails only on counter overflow; the thread is told already.
    }
    thread_.join();
    if (!socket_path_.empty()) {
        boost::system::error_code ignored;
        boost::filesystem::remove(socket_path_, ignored);
    }
}

std::string VirtioConsoleServer::error() const
{
    std::lock_guard lock(error_mutex_);
    return error_;
}

void VirtioConsoleServer::run() noexcept
{
    // The guest's call descriptors are UML's pipes (Vring::notify_guest), so a
    // notification after UML died raises SIGPIPE, which would end whatever
    // program hosts this server. Blocked in this thread only, it stays pending
    // here and the write fails with EPIPE instead.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    try {
        std::array<pollfd, 2> fds{{{stop_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}}};
        while (true) {
            if (::poll(fds.data(), fds.size(), -1) < 0) {
                if (errno == EINTR)
                    continue;
                throw_errno("vhost-user: poll");
            }
            if (fds[0].revents)
                break;
            if (!fds[1].revents)
                continue;
            UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!connection) {
                if (errno == EINTR || errno == ECONNABORTED)
                    continue;
                throw_errno("vhost-user: accept");
            }
            // One guest per device: nobody else may connect.
            listener_.reset();
            connected_ = true;
            set_io_timeouts(connection.get());
            serve(connection.get());
            break;
        }
    } catch (const std::exception& e) {
        std::lock_guard lock(error_mutex_);
        error_ = e.what();
    }
    finished_ = true;
    if (on_end_) {
        try {
            on_end_(error());
        } catch (...) {
            // The owner's reaction is best effort; the thread must end regardless.
        }
    }
}

void VirtioConsoleServer::serve(int connection)
{
    VhostUserSession session(connection, VirtioConsoleDevice::description());
    VirtioConsoleDevice device(host_fd_, port_name_);
    constexpr std::size_t kFixed = 3; // stop, connection, host
    std::array<pollfd, kFixed + VirtioConsoleDevice::kQueueCount> fds{};
    while (true) {
        auto vrings = session.vrings();
        short host_events = device.host_events();
        fds[0] = {stop_.get(), POLLIN, 0};
        fds[1] = {connection, POLLIN, 0};
        // Left out when we want nothing from it: a hung-up socket reports
        // POLLHUP even unasked, and would make the loop spin.
        fds[2] = {host_events ? host_fd_ : -1, host_events, 0};
        for (std::size_t i = 0; i < VirtioConsoleDevice::kQueueCount; ++i)
            fds[kFixed + i] = {vrings[i].kick ? vrings[i].kick.get() : -1, POLLIN, 0};

        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("vhost-user: poll");
        }
        if (fds[0].revents)
            return;
        if (fds[1].revents && !session.handle_next_message())
            return;
        for (std::size_t i = 0; i < VirtioConsoleDevice::kQueueCount; ++i)
            if (fds[kFixed + i].revents & POLLIN)
                drain_eventfd(fds[kFixed + i].fd);

        try {
            device.process(session.vrings());
        } catch (const QueueError& e) {
            throw Error(fmt::format("virtio-console: the guest broke a virtqueue: {}", e.what()));
        }
        bytes_to_guest_ = device.bytes_to_guest();
        bytes_from_guest_ = device.bytes_from_guest();
    }
}

} // namespace guestuml::vhost
