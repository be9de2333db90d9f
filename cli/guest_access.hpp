// The common shape of ls, cat and copy-out: parse "[-a DISK]... IMAGE ARGS...",
// boot read-only, mount the first inspected OS like guestfish -i, run an action.
#pragma once

#include "commands.hpp"
#include "guestfs_session.hpp"

#include <functional>
#include <string>
#include <vector>

namespace guestuml::cli {

struct GuestAccess {
    std::vector<std::string> disks;     // -a disks, then IMAGE
    std::vector<std::string> operands;  // what follows IMAGE
    bool quiet = false;
    SessionOptions session;
};

// Parses the common options; operand_count operands must follow IMAGE. Returns
// false after printing usage for --help. Throws UsageError.
bool parse_guest_access(const Args& args, std::size_t operand_count, const char* usage, GuestAccess& out);

// Boots, mounts the OS (read-only) and runs action(session); exit_no_os if the
// disks hold no OS. Throws Error / UsageError.
int with_mounted_guest(const GuestAccess& access, const std::function<int(GuestfsSession&)>& action);

// UsageError unless path exists in the mounted guest.
void require_guest_path(GuestfsSession& session, const std::string& path);

} // namespace guestuml::cli
