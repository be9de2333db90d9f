// guestuml-vfork.so (appliance/vfork/) starts guestfsd's commands with vfork.
// The same calls through the C API, with the preload and without it
// (guestuml_vfork=0 on the kernel command line), must give the same results,
// a command that cannot be executed must fail the same way and leave guestfsd
// serving, and with the preload guestfsd must take far fewer page faults per
// command: that is what the preload is for, and a fork in disguise would not.
#include "debian_session.hpp"
#include "tool_run.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <guestfs.h>
#include <string>

using namespace guestuml::plugin::test;

namespace {

constexpr int commands_counted = 10;

struct CommandView {
    PreloadPlacement preload;
    int64_t size = -1;            // blockdev-getsize64 (udevadm and blockdev, both run by guestfsd's C code)
    std::string listed;           // a command's output (debug sh: a C command too)
    std::string forked_results;   // calls whose commands guestfsd's OCaml code forks: unchanged
    std::string exec_error;       // guestfs_command of a program that does not exist
    bool serving_after = false;   // guestfsd still answers after that
    long faults_per_command = 0;  // guestfsd's page faults per blockdev-getsize64
    std::string shim_runs;        // the udevadm commands that reached the program, during two calls
    std::string guest_settle;     // guestfs_command "udevadm settle", run in the image (which has none)
};

CommandView command_view(const PluginImages& images, const char* append)
{
    const auto handle = launch_debian_ro(images, append);
    guestfs_h* g = handle.get();

    CommandView view;
    view.preload = preload_placement(g, "guestuml-vfork");

    // Warm up first: the first calls fault in code and data of their own.
    REQUIRE(guestfs_blockdev_getsize64(g, "/dev/sda") > 0);
    const long before = guestfsd_faults(g);
    for (int i = 0; i < commands_counted; ++i)
        view.size = guestfs_blockdev_getsize64(g, "/dev/sda");
    view.faults_per_command = (guestfsd_faults(g) - before) / commands_counted;

    view.listed = guest_shell(g, "ls -1v /dev/disk/by-path");
    char* type = guestfs_vfs_type(g, "/dev/sda1");
    REQUIRE(type);
    view.forked_results = std::string(type) + " is-dir /etc: " + std::to_string(guestfs_is_dir(g, "/etc"));
    std::free(type);

    guestfs_set_error_handler(g, nullptr, nullptr);
    char* args[] = {const_cast<char*>("/no-such-program"), const_cast<char*>("x"), nullptr};
    char* out = guestfs_command(g, args);
    CHECK(out == nullptr);
    std::free(out);
    view.exec_error = guestfs_last_error(g) ? guestfs_last_error(g) : "";
    view.serving_after = guestfs_exists(g, "/etc") == 1 && guestfs_blockdev_getsize64(g, "/dev/sda") == view.size;

    // The udevadm program, wrapped in a script that notes each run: with the
    // preload, guestfsd's settles never reach it (exec_in_child.cpp), and a
    // command run in the guest's root still runs the guest's own udevadm.
    note_program_runs(g, "udevadm");
    CHECK(guestfs_blockdev_getsize64(g, "/dev/sda") == view.size);
    CHECK(guestfs_blockdev_getss(g, "/dev/sda") == 512);
    view.shim_runs = program_runs(g, "udevadm");
    char* settle[] = {const_cast<char*>("udevadm"), const_cast<char*>("settle"), nullptr};
    char* settled = guestfs_command(g, settle);
    CHECK(settled == nullptr);
    std::free(settled);
    view.guest_settle = guestfs_last_error(g) ? guestfs_last_error(g) : "";

    REQUIRE(guestfs_shutdown(g) == 0);
    return view;
}

} // namespace

TEST_CASE("vfork preload: the same commands, far fewer faults in guestfsd", "[capi]")
{
    apply_guestuml_env();
    const auto images = plugin_images(PLUGIN_IMAGE_DIR);
    const CommandView vforked = command_view(images, "");
    const CommandView forked = command_view(images, "guestuml_vfork=0");

    // The preload is in guestfsd only, and only when asked for.
    CHECK(std::stoi(vforked.preload.guestfsd_maps) > 0);
    CHECK(forked.preload.guestfsd_maps == "0");
    CHECK(vforked.preload.child_preload == "[]");

    CHECK(vforked.size > 0);
    CHECK(vforked.size == forked.size);
    CHECK(vforked.listed.find("virtio") != std::string::npos);
    CHECK(vforked.listed == forked.listed);
    CHECK(vforked.forked_results == "ext4 is-dir /etc: 1");
    CHECK(vforked.forked_results == forked.forked_results);

    // The child's perror reaches guestfsd's error, and guestfsd goes on.
    CHECK(vforked.exec_error.find("No such file or directory") != std::string::npos);
    CHECK(vforked.exec_error == forked.exec_error);
    CHECK(vforked.serving_after);
    CHECK(forked.serving_after);

    // guestfsd's settles reach the udevadm program only without the preload.
    INFO("udevadm runs without the preload:\n" << forked.shim_runs);
    CHECK(vforked.shim_runs.empty());
    CHECK(std::count(forked.shim_runs.begin(), forked.shim_runs.end(), '\n') >= 2);
    CHECK(forked.shim_runs.find("settle") != std::string::npos);
    // In the guest's root a settle is the guest's own program: none here.
    CHECK(vforked.guest_settle.find("udevadm: No such file or directory") != std::string::npos);
    CHECK(vforked.guest_settle == forked.guest_settle);

    // A fork write-protects guestfsd's private pages and guestfsd faults them
    // back: since kernel patch 0015 about once per page table it writes again
    // (some 20 a command), 150-230 times before it; a vfork leaves them alone.
    INFO("faults per command: vfork " << vforked.faults_per_command << ", fork " << forked.faults_per_command);
    CHECK(forked.faults_per_command >= 5);
    CHECK(vforked.faults_per_command * 3 < forked.faults_per_command);
}
