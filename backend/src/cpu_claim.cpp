#include "cpu_claim.hpp"

#include <cerrno>
#include <cstddef>
#include <fmt/format.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>

// Why a CPU of its own: UML is uniprocessor. Its kernel process and the host
// process of whichever guest process runs take turns, never run at once, and
// hand over through ptrace stops thousands of times a second (every guest system
// call and page fault). A hand-over between processes on one CPU is a local
// wake-up; across CPUs it is an inter-processor interrupt, which on the
// paravirtualised hosts we run on made each stop-and-resume about 23 us instead
// of 13 us, and let launches stall when the scheduler parted the two.
//
// Why an abstract socket as the lock: binding one is exclusive machine-wide
// (per network namespace), needs no file that could be left behind, and the
// kernel releases it when the process holding it dies, however it dies.

namespace guestuml {

std::string CpuClaim::lock_name(int cpu)
{
    return fmt::format("guestuml-cpu-{}", cpu);
}

std::optional<CpuClaim> CpuClaim::claim_free()
{
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (::sched_getaffinity(0, sizeof allowed, &allowed) == -1 || CPU_COUNT(&allowed) < 2)
        return std::nullopt;
    // A bind that fails leaves the socket unbound, free to try the next name.
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock)
        return std::nullopt;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (!CPU_ISSET(cpu, &allowed))
            continue;
        const std::string name = lock_name(cpu);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        // sun_path[0] stays NUL: the abstract namespace.
        name.copy(addr.sun_path + 1, sizeof addr.sun_path - 2);
        const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
        if (::bind(sock.get(), reinterpret_cast<const sockaddr*>(&addr), len) == 0)
            return CpuClaim(cpu, std::move(sock));
        if (errno != EADDRINUSE)
            return std::nullopt;
    }
    return std::nullopt;
}

} // namespace guestuml
