#include "vhost_user_protocol.hpp"

#include "guestuml/error.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace guestuml::vhost {

namespace {

// Reads exactly size bytes; false on EOF before the first byte when eof_ok.
bool read_exact(int socket, void* data, std::size_t size, bool eof_ok)
{
    auto* p = static_cast<std::byte*>(data);
    std::size_t done = 0;
    while (done < size) {
        ssize_t n = ::recv(socket, p + done, size - done, 0);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (n == 0) {
            if (done == 0 && eof_ok)
                return false;
            throw Error("vhost-user: connection closed in the middle of a message");
        }
        if (errno == EINTR)
            continue;
        throw_errno("vhost-user: reading a message");
    }
    return true;
}

void write_all(int socket, const std::byte* data, std::size_t size)
{
    while (size > 0) {
        ssize_t n = ::send(socket, data, size, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("vhost-user: sending a reply");
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

} // namespace

std::optional<Message> receive_message(int socket)
{
    Message message;
    // The header is read with recvmsg because the descriptors travel with the
    // message's first byte.
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
    iovec iov{&message.header, sizeof(Header)};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);

    ssize_t n;
    do {
        n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        throw_errno("vhost-user: reading a message header");
    if (n == 0)
        return std::nullopt;

    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            message.fds.emplace_back(fd);
        }
    }
    if (msg.msg_flags & MSG_CTRUNC)
        throw Error(fmt::format("vhost-user: more than {} descriptors with one message", kMaxFds));

    auto* header = reinterpret_cast<std::byte*>(&message.header);
    read_exact(socket, header + n, sizeof(Header) - static_cast<std::size_t>(n), false);

    if ((message.header.flags & kFlagVersionMask) != kFlagVersion)
        throw Error(fmt::format("vhost-user: unsupported protocol version in flags {:#x} (request {})",
                                message.header.flags, message.header.request));
    if (message.header.size > kMaxPayload)
        throw Error(fmt::format("vhost-user: payload of {} bytes for request {} exceeds {}",
                                message.header.size, message.header.request, kMaxPayload));
    message.payload.resize(message.header.size);
    read_exact(socket, message.payload.data(), message.payload.size(), false);
    return message;
}

void send_reply(int socket, const Header& request, std::span<const std::byte> payload)
{
    Header header;
    header.request = request.request;
    header.flags = kFlagVersion | kFlagReply;
    header.size = static_cast<std::uint32_t>(payload.size());
    const auto* header_bytes = reinterpret_cast<const std::byte*>(&header);
    std::vector<std::byte> buffer(header_bytes, header_bytes + sizeof(Header));
    buffer.insert(buffer.end(), payload.begin(), payload.end());
    write_all(socket, buffer.data(), buffer.size());
}

void send_reply_u64(int socket, const Header& request, std::uint64_t value)
{
    send_reply(socket, request, std::as_bytes(std::span(&value, 1)));
}

} // namespace guestuml::vhost
