// Landlock (Linux 5.13+): a ruleset that denies every file-system access the
// kernel can control except beneath the paths it is given, optionally every TCP
// bind and connect (ABI 4+), and signals and abstract sockets leaving the
// sandbox (ABI 6+).
#pragma once

#include "guestuml/unique_fd.hpp"

#include <boost/filesystem/path.hpp>
#include <string>
#include <vector>

namespace guestuml::landlock {

struct Ruleset {
    int abi = 0;          // 0: Landlock is not available; fd is invalid then
    UniqueFd fd;          // pass to landlock_restrict_self()
    std::string warning;  // what this kernel cannot enforce
};

// Builds the ruleset. Paths that do not exist are skipped; any other failure
// throws Error naming the path.
// deny_tcp: also refuse every TCP bind and connect (ABI 4+).
Ruleset make_ruleset(const std::vector<boost::filesystem::path>& read_only,
                     const std::vector<boost::filesystem::path>& read_write, bool deny_tcp);

// Enforces the ruleset on the calling thread (which must have no_new_privs set).
// Async-signal-safe; returns 0 or errno.
int restrict_self(int ruleset_fd) noexcept;

} // namespace guestuml::landlock
