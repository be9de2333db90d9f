#include "guestuml/sandbox.hpp"

#include "landlock_ruleset.hpp"
#include "socket_filter.hpp"

#include <cerrno>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>

namespace guestuml {

Sandbox::Sandbox(const SandboxPolicy& policy)
    : network_(policy.network), max_open_files_(policy.max_open_files)
{
    // The child reopens /dev/null for its standard input before exec.
    auto read_write = policy.read_write;
    read_write.emplace_back("/dev/null");
    landlock::Ruleset rules = landlock::make_ruleset(policy.read_only, read_write, !policy.network);
    abi_ = rules.abi;
    ruleset_ = std::move(rules.fd);
    warning_ = std::move(rules.warning);
    if (!network_)
        bpf_ = socket_filter::program();
}

Sandbox::~Sandbox() = default;

int Sandbox::apply_in_child() const noexcept
{
    // An image's secrets must not end up in a core file.
    const rlimit no_core{0, 0};
    if (::setrlimit(RLIMIT_CORE, &no_core) == -1)
        return errno;
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == -1)
        return errno;
    if (files.rlim_max == RLIM_INFINITY || files.rlim_max > max_open_files_) {
        files.rlim_max = max_open_files_;
        files.rlim_cur = std::min<rlim_t>(files.rlim_cur, files.rlim_max);
        if (::setrlimit(RLIMIT_NOFILE, &files) == -1)
            return errno;
    }
    if (!network_) {
        // A namespace with nothing but a loopback that is down. Without the
        // privilege for it the socket filter below still keeps the network out.
        if (::unshare(CLONE_NEWNET) == -1 && errno != EPERM && errno != EINVAL)
            return errno;
    }
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
        return errno;
    if (!network_)
        if (int err = socket_filter::install(bpf_))
            return err;
    if (ruleset_)
        if (int err = landlock::restrict_self(ruleset_.get()))
            return err;
    return 0;
}

} // namespace guestuml
