// A sandbox for the processes that parse untrusted images (UML, and what it
// starts): what they may touch in the file system (Landlock), no network (a
// network namespace of their own, and a seccomp filter that refuses every
// socket family but AF_UNIX), no new privileges, and resource limits.
//
// It is prepared in the parent, where allocating is allowed, and applied in the
// forked child just before exec with system calls only (see SpawnOptions::sandbox).
#pragma once

#include "guestuml/unique_fd.hpp"

#include <boost/filesystem/path.hpp>
#include <string>
#include <vector>

namespace guestuml {

struct SandboxPolicy {
    std::vector<boost::filesystem::path> read_only;   // may read and execute (files or trees)
    std::vector<boost::filesystem::path> read_write;  // may also write, create and remove in
    bool network = false;                             // false: no network at all
    unsigned max_open_files = 4096;                   // RLIMIT_NOFILE, lowered only
};

class Sandbox {
public:
    // Builds the Landlock ruleset and the seccomp program. Paths that do not exist
    // are left out (a library directory missing on this host, say). Throws Error if
    // a rule cannot be made. Where the kernel has no Landlock, warning() says so
    // and the rest of the sandbox still applies.
    explicit Sandbox(const SandboxPolicy& policy);
    Sandbox(Sandbox&&) noexcept = default;
    Sandbox& operator=(Sandbox&&) noexcept = default;
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;
    ~Sandbox();

    // Applies everything to the calling process: only async-signal-safe calls, for
    // a child between fork and exec. Returns 0, or the errno of the step that failed.
    int apply_in_child() const noexcept;

    // The Landlock ABI version in force (0: none), and why it is weaker, if it is.
    int landlock_abi() const noexcept { return abi_; }
    const std::string& warning() const noexcept { return warning_; }

private:
    int abi_ = 0;
    UniqueFd ruleset_;                // Landlock ruleset; invalid without Landlock
    std::vector<unsigned char> bpf_;  // the seccomp program (sock_filter array)
    bool network_ = false;
    unsigned max_open_files_ = 4096;
    std::string warning_;
};

} // namespace guestuml
