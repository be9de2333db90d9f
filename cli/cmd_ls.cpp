// guestuml ls: list a directory of the guest, one name per line.
#include "commands.hpp"
#include "guest_access.hpp"

#include <fmt/format.h>

namespace guestuml::cli {

namespace {

constexpr const char* usage = R"(usage: guestuml ls [OPTIONS] [-a DISK]... IMAGE PATH

Lists the directory PATH of the operating system in IMAGE (mounted read-only,
as guestfish -i does), one name per line, sorted.

options:
  -a, --add DISK   one more disk of the VM
  -q, --quiet      no progress or notes on stderr
  -v, --verbose    libguestfs debug and the appliance console on stderr
  -h, --help       this text

exit codes: 0 listed, 1 no OS found, 2 bad arguments or input (including a
PATH that does not exist or is not a directory), 3 internal failure.
)";

} // namespace

int cmd_ls(const Args& args)
{
    GuestAccess access;
    if (!parse_guest_access(args, 1, usage, access))
        return exit_ok;
    const auto& path = access.operands.front();
    return with_mounted_guest(access, [&](GuestfsSession& session) {
        require_guest_path(session, path);
        if (guestfs_is_dir(session.get(), path.c_str()) != 1)
            throw UsageError(fmt::format("{}: not a directory in the guest", path));
        char** names = guestfs_ls(session.get(), path.c_str());
        if (!names)
            session.fail(fmt::format("listing {}", path));
        for (const auto& name : take_string_list(names))
            fmt::print("{}\n", name);
        return static_cast<int>(exit_ok);
    });
}

} // namespace guestuml::cli
