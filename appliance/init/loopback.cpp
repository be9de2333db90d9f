#include "loopback.hpp"

#include "guestuml/error.hpp"
#include "guestuml/unique_fd.hpp"

#include <cstring>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace guestuml::init {

void bring_up_loopback()
{
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock)
        throw_errno("socket for configuring lo");
    ifreq req{};
    std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &req) == -1)
        throw_errno("SIOCGIFFLAGS lo");
    req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP | IFF_RUNNING);
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &req) == -1)
        throw_errno("SIOCSIFFLAGS lo up");
}

} // namespace guestuml::init
