#include "servers.hpp"

#include "guestuml/error.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace guestuml::formats::test {
namespace {

sockaddr_in loopback(unsigned port)
{
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

bool connects(unsigned port, const boost::filesystem::path& socket)
{
    const int fd = ::socket(port ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw_errno("socket");
    int rc;
    if (port) {
        const auto a = loopback(port);
        rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    } else {
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, socket.c_str(), sizeof a.sun_path - 1);
        rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    }
    ::close(fd);
    return rc == 0;
}

} // namespace

Server::Server(const std::vector<std::string>& argv, unsigned port, const boost::filesystem::path& socket)
{
    SpawnOptions opts;
    opts.argv = argv;
    process_ = Process(opts);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!connects(port, socket)) {
        if (!process_.running() || process_.try_wait())
            throw Error(fmt::format("{} exited before it served", argv.front()));
        if (std::chrono::steady_clock::now() > deadline)
            throw Error(fmt::format("{} did not listen within 20 s", argv.front()));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

unsigned free_port()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto a = loopback(0);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw_errno("free_port");
    ::close(fd);
    return ntohs(a.sin_port);
}

SilentServer::SilentServer()
{
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto a = loopback(0);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw_errno("SilentServer");
    port_ = ntohs(a.sin_port);
}

SilentServer::~SilentServer() { ::close(fd_); }

} // namespace guestuml::formats::test
