#include "debian_session.hpp"

#include <boost/filesystem/fstream.hpp>
#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <fmt/format.h>

namespace guestuml::plugin::test {

guestuml::test::GuestfsHandle launch_debian_ro(const PluginImages& images, const char* append,
                                               const std::vector<std::string>& extra_raw_drives)
{
    guestuml::test::GuestfsHandle handle(guestfs_create());
    guestfs_h* g = handle.get();
    REQUIRE(g);
    REQUIRE(guestfs_add_drive_opts(g, images.debian.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw", -1) == 0);
    for (const auto& drive : extra_raw_drives)
        REQUIRE(guestfs_add_drive_opts(g, drive.c_str(), GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw", -1) == 0);
    if (*append)
        REQUIRE(guestfs_set_append(g, append) == 0);
    REQUIRE(guestfs_launch(g) == 0);
    REQUIRE(guestfs_mount_ro(g, "/dev/sda1", "/") == 0);
    return handle;
}

std::string guest_shell(guestfs_h* g, const char* command)
{
    char* args[] = {const_cast<char*>(command), nullptr};
    char* out = guestfs_debug(g, "sh", args);
    REQUIRE(out);
    std::string text = out;
    std::free(out);
    return text;
}

long guestfsd_faults(guestfs_h* g)
{
    // Field 10 of guestfsd's stat (debug sh's shell is its child); the
    // process name, field 2, has no spaces.
    return std::stol(guest_shell(g, "set -- $(cat /proc/$PPID/stat); echo ${10}"));
}

long guest_processes(guestfs_h* g)
{
    return std::stol(guest_shell(g, "while read -r key value; do [ \"$key\" = processes ] && echo \"$value\"; done "
                                    "< /proc/stat; true"));
}

std::string scratch_disk(const boost::filesystem::path& dir, const std::string& name, int size_mib)
{
    const boost::filesystem::path disk = dir / name;
    {
        boost::filesystem::ofstream out(disk);
    }
    boost::filesystem::resize_file(disk, static_cast<std::uintmax_t>(size_mib) << 20);
    return disk.string();
}

void note_program_runs(guestfs_h* g, const std::string& program)
{
    guest_shell(g, fmt::format("set -e; p=$(command -v {0}); mkdir /tmp/real-{0}; mv \"$p\" /tmp/real-{0}/{0}; "
                               "printf '#!/bin/sh\\necho \"$*\" >> /tmp/{0}-runs\\n"
                               "exec /tmp/real-{0}/{0} \"$@\"\\n' > \"$p\"; "
                               "chmod 755 \"$p\"; : > /tmp/{0}-runs",
                               program)
                       .c_str());
}

std::string program_runs(guestfs_h* g, const std::string& program)
{
    return guest_shell(g, ("cat /tmp/" + program + "-runs").c_str());
}

long program_run_count(guestfs_h* g, const std::string& program)
{
    return std::stol(guest_shell(g, ("wc -l < /tmp/" + program + "-runs").c_str()));
}

PreloadPlacement preload_placement(guestfs_h* g, const std::string& library)
{
    return {guest_shell(g, ("grep -c " + library + " /proc/$PPID/maps || true").c_str()),
            guest_shell(g, "echo \"[$LD_PRELOAD]\"")};
}

} // namespace guestuml::plugin::test
