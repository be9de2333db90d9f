#include "guest_access.hpp"

#include "arg_cursor.hpp"
#include "backend_config.hpp"
#include "disk_image.hpp"
#include "mounted_root.hpp"
#include "progress.hpp"

#include <fmt/format.h>

namespace guestuml::cli {

bool parse_guest_access(const Args& args, std::size_t operand_count, const char* usage, GuestAccess& out)
{
    ArgCursor cursor(args);
    std::vector<std::string> positional;
    while (!cursor.done()) {
        if (cursor.take_flag({"-h", "--help"})) {
            fmt::print("{}", usage);
            return false;
        }
        if (auto disk = cursor.take_value({"-a", "--add"}))
            out.disks.push_back(*disk);
        else if (cursor.take_flag({"-q", "--quiet"}))
            out.quiet = true;
        else if (cursor.take_flag({"-v", "--verbose"}))
            out.session.verbose = true;
        else if (auto arg = cursor.take_positional())
            positional.push_back(*arg);
    }
    if (positional.size() != operand_count + 1)
        throw UsageError(fmt::format("expected IMAGE and {} more argument{}, got {} (see --help)", operand_count,
                                     operand_count == 1 ? "" : "s", positional.size()));
    out.disks.push_back(positional.front());
    out.operands.assign(positional.begin() + 1, positional.end());
    return true;
}

int with_mounted_guest(const GuestAccess& access, const std::function<int(GuestfsSession&)>& action)
{
    std::vector<DiskImage> disks;
    for (const auto& path : access.disks)
        disks.push_back(probe_disk_image(path));
    const Progress progress(access.quiet);
    GuestfsSession session(resolve_backend_config(progress.as_function()), access.session);
    for (const auto& disk : disks)
        session.add_disk(disk, true);
    session.launch();
    char** roots = guestfs_inspect_os(session.get());
    if (!roots)
        session.fail("inspecting the disks");
    const auto root_list = take_string_list(roots);
    if (root_list.empty()) {
        fmt::print(stderr, "guestuml: no operating system found in {}; nothing to mount\n", access.disks.back());
        return exit_no_os;
    }
    MountedRoot mounted(session, root_list.front());
    return action(session);
}

void require_guest_path(GuestfsSession& session, const std::string& path)
{
    if (path.empty() || path.front() != '/')
        throw UsageError(fmt::format("{}: the path in the guest must be absolute", path));
    if (guestfs_exists(session.get(), path.c_str()) != 1)
        throw UsageError(fmt::format("{}: no such file or directory in the guest", path));
}

} // namespace guestuml::cli
