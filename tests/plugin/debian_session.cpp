#include "debian_session.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

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

PreloadPlacement preload_placement(guestfs_h* g, const std::string& library)
{
    return {guest_shell(g, ("grep -c " + library + " /proc/$PPID/maps || true").c_str()),
            guest_shell(g, "echo \"[$LD_PRELOAD]\"")};
}

} // namespace guestuml::plugin::test
