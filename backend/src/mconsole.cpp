#include "mconsole.hpp"

#include "guestuml/error.hpp"
#include "unix_socket.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace guestuml {
namespace {

// The wire format of protocol version 2, in host byte order.
constexpr std::uint32_t mconsole_magic = 0xcafebabe;
constexpr std::uint32_t mconsole_version = 2;
constexpr size_t mconsole_max_data = 512;

struct Request {
    std::uint32_t magic;
    std::uint32_t version;
    std::uint32_t len;
    char data[mconsole_max_data];
};

struct Reply {
    std::uint32_t err;
    std::uint32_t more;
    std::uint32_t len;
    char data[mconsole_max_data];
};

} // namespace

MconsoleReply mconsole_command(const boost::filesystem::path& socket, const std::string& command,
                               std::chrono::milliseconds timeout)
{
    if (command.size() >= mconsole_max_data)
        throw Error(fmt::format("mconsole: command too long: {}", command));
    // The reply address sits next to UML's socket, where its sandbox may write.
    const boost::filesystem::path reply_path =
        socket.parent_path() / fmt::format("reply-{}-{}", ::getpid(), ::gettid());
    struct RemoveReplySocket {
        const boost::filesystem::path& path;
        ~RemoveReplySocket() { ::unlink(path.c_str()); }
    } remove_reply{reply_path};
    UniqueFd fd = connect_unix_datagram(socket, reply_path);

    Request req{};
    req.magic = mconsole_magic;
    req.version = mconsole_version;
    req.len = static_cast<std::uint32_t>(command.size());
    std::memcpy(req.data, command.data(), command.size());
    if (::send(fd.get(), &req, offsetof(Request, data) + command.size() + 1, 0) == -1)
        throw_errno(fmt::format("mconsole {}: send '{}'", socket.string(), command));

    MconsoleReply result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{fd.get(), POLLIN, 0};
        const int n = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            throw_errno(fmt::format("mconsole {}: poll", socket.string()));
        if (n == 0)
            throw Error(fmt::format("mconsole {}: no reply to '{}' within {} ms", socket.string(), command, timeout.count()));
        Reply reply{};
        const ssize_t got = ::recv(fd.get(), &reply, sizeof reply, 0);
        if (got == -1)
            throw_errno(fmt::format("mconsole {}: receive reply to '{}'", socket.string(), command));
        if (got < static_cast<ssize_t>(offsetof(Reply, data)))
            throw Error(fmt::format("mconsole {}: short reply to '{}'", socket.string(), command));
        const size_t len = std::min<size_t>({reply.len, mconsole_max_data, static_cast<size_t>(got) - offsetof(Reply, data)});
        result.text.append(reply.data, strnlen(reply.data, len));
        result.ok = reply.err == 0;
        if (!reply.more)
            return result;
    }
}

} // namespace guestuml
