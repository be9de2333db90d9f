// guestuml cat: copy one file of the guest to standard output.
#include "commands.hpp"
#include "guest_access.hpp"

#include <cstdio>
#include <fmt/format.h>

namespace guestuml::cli {

namespace {

constexpr const char* usage = R"(usage: guestuml cat [OPTIONS] [-a DISK]... IMAGE PATH

Writes the file PATH of the operating system in IMAGE (mounted read-only, as
guestfish -i does) to standard output, byte for byte, whatever its size.

options:
  -a, --add DISK   one more disk of the VM
  -q, --quiet      no progress or notes on stderr
  -v, --verbose    libguestfs debug and the appliance console on stderr
  -h, --help       this text

exit codes: 0 done, 1 no OS found, 2 bad arguments or input (including a PATH
that does not exist or is a directory), 3 internal failure.
)";

} // namespace

int cmd_cat(const Args& args)
{
    GuestAccess access;
    if (!parse_guest_access(args, 1, usage, access))
        return exit_ok;
    const auto& path = access.operands.front();
    return with_mounted_guest(access, [&](GuestfsSession& session) {
        require_guest_path(session, path);
        if (guestfs_is_dir(session.get(), path.c_str()) == 1)
            throw UsageError(fmt::format("{}: is a directory in the guest", path));
        std::fflush(stdout);
        // download streams in chunks; guestfs_cat would hold the file in one message.
        if (guestfs_download(session.get(), path.c_str(), "/dev/stdout") == -1)
            session.fail(fmt::format("reading {}", path));
        return static_cast<int>(exit_ok);
    });
}

} // namespace guestuml::cli
