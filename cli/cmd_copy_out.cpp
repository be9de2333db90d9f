// guestuml copy-out: copy a file or directory tree of the guest to the host.
#include "commands.hpp"
#include "guest_access.hpp"

#include <boost/filesystem/operations.hpp>
#include <fmt/format.h>

namespace guestuml::cli {

namespace {

constexpr const char* usage = R"(usage: guestuml copy-out [OPTIONS] [-a DISK]... IMAGE PATH DIR

Copies the file or directory PATH of the operating system in IMAGE (mounted
read-only, as guestfish -i does) into the existing host directory DIR, like
guestfish copy-out: DIR/basename(PATH) is created.

options:
  -a, --add DISK   one more disk of the VM
  -q, --quiet      no progress or notes on stderr
  -v, --verbose    libguestfs debug and the appliance console on stderr
  -h, --help       this text

exit codes: 0 copied, 1 no OS found, 2 bad arguments or input (PATH missing in
the guest, DIR not a directory), 3 internal failure.
)";

} // namespace

int cmd_copy_out(const Args& args)
{
    GuestAccess access;
    if (!parse_guest_access(args, 2, usage, access))
        return exit_ok;
    const auto& path = access.operands[0];
    const auto& dir = access.operands[1];
    // Checked before booting: a typo in DIR should not cost an appliance launch.
    boost::system::error_code ec;
    if (!boost::filesystem::is_directory(dir, ec))
        throw UsageError(fmt::format("{}: not an existing directory on the host", dir));
    return with_mounted_guest(access, [&](GuestfsSession& session) {
        require_guest_path(session, path);
        if (guestfs_copy_out(session.get(), path.c_str(), dir.c_str()) == -1)
            session.fail(fmt::format("copying {} to {}", path, dir));
        return static_cast<int>(exit_ok);
    });
}

} // namespace guestuml::cli
