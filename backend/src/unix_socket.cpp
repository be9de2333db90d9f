#include "unix_socket.hpp"

#include "guestuml/error.hpp"

#include <cstring>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace guestuml {
namespace {

sockaddr_un make_address(const boost::filesystem::path& path)
{
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string s = path.string();
    if (s.size() >= sizeof addr.sun_path)
        throw Error(fmt::format("socket {}: path longer than {} bytes (use a shorter temporary directory)",
                                s, sizeof addr.sun_path - 1));
    std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
    return addr;
}

} // namespace

UniqueFd listen_unix(const boost::filesystem::path& path)
{
    const sockaddr_un addr = make_address(path);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd)
        throw_errno("socket(AF_UNIX)");
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == -1)
        throw_errno(fmt::format("bind {}", path.string()));
    if (::listen(fd.get(), 4) == -1)
        throw_errno(fmt::format("listen {}", path.string()));
    return fd;
}

UniqueFd connect_unix_datagram(const boost::filesystem::path& path, const boost::filesystem::path& reply_path)
{
    const sockaddr_un addr = make_address(path);
    const sockaddr_un self = make_address(reply_path);
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd)
        throw_errno("socket(AF_UNIX, SOCK_DGRAM)");
    // A path, not an automatic abstract name: abstract names belong to a network
    // namespace, and the sandboxed peer has a namespace of its own.
    ::unlink(reply_path.c_str());
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&self), sizeof self) == -1)
        throw_errno(fmt::format("bind {}", reply_path.string()));
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == -1)
        throw_errno(fmt::format("connect {}", path.string()));
    return fd;
}

} // namespace guestuml
