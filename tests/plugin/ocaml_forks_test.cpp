// guestuml-vfork.so's OCaml forks (appliance/vfork/ocaml_forks.cpp): Chroot.f's
// child runs in guestfsd itself for the vetted calls, and the OCaml command
// runner's child starts with vfork. The same calls through the C API, with
// that and with every OCaml fork real (guestuml_ocaml_fork=0), must give the
// same results, including a Chroot.f result larger than a pipe holds; guestfsd
// must come back to its own root, directory and descriptors; a command that
// cannot be executed must fail cleanly and leave guestfsd serving; and the
// forks must be gone: no new process for an is-dir, far fewer page faults in
// guestfsd for a command.
#include "debian_session.hpp"
#include "tool_run.hpp"

#include "guestuml/temp_dir.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fmt/format.h>
#include <guestfs.h>
#include <string>
#include <vector>

using namespace guestuml::plugin::test;

namespace {

constexpr int calls_counted = 20;

// guestfsd's root, working directory and open descriptors. The write ends of
// the pipes to this shell are left out: guestfsd closes them while the shell
// runs, so counting them raced (7 or 9 on a faster machine).
std::string guestfsd_place(guestfs_h* g)
{
    return guest_shell(g, "readlink /proc/$PPID/root /proc/$PPID/cwd\n"
                          "n=0\n"
                          "for fd in /proc/$PPID/fd/*; do\n"
                          "  to=$(readlink $fd) && info=$(cat /proc/$PPID/fdinfo/${fd##*/}) || continue\n"
                          "  case $to in pipe:*) echo \"$info\" | grep -q '^flags:.*[1357]$' && continue;; esac\n"
                          "  n=$((n + 1))\n"
                          "done\n"
                          "echo $n");
}

std::string take(char* text)
{
    REQUIRE(text);
    std::string s = text;
    std::free(text);
    return s;
}

// A root whose os-release is some 300 KB: its marshalled lines fill a pipe's
// 64 KiB several times over.
void make_large_release_root(guestfs_h* g)
{
    REQUIRE(guestfs_umount_all(g) == 0);
    REQUIRE(guestfs_mkfs(g, "ext4", "/dev/sdb") == 0);
    REQUIRE(guestfs_mount(g, "/dev/sdb", "/") == 0);
    REQUIRE(guestfs_mkdir(g, "/etc") == 0);
    REQUIRE(guestfs_mkdir(g, "/bin") == 0);
    std::string release;
    for (int i = 0; i < 3000; ++i)
        release += fmt::format("# line {:04} of a long comment that pads this file out well past a pipe\n", i);
    release += "ID=debian\nPRETTY_NAME=\"Large Release 12\"\nVERSION_ID=\"12\"\n";
    REQUIRE(guestfs_write(g, "/etc/os-release", release.data(), release.size()) == 0);
    const std::string fstab = "/dev/sdb / ext4 defaults 0 1\n";
    REQUIRE(guestfs_write(g, "/etc/fstab", fstab.data(), fstab.size()) == 0);
    const std::string hostname = "large-release\n";
    REQUIRE(guestfs_write(g, "/etc/hostname", hostname.data(), hostname.size()) == 0);
    REQUIRE(guestfs_umount_all(g) == 0);
}

struct ForkView {
    std::string results;        // what the calls returned
    std::string large_root;     // inspection of the root with the large os-release
    std::string place_before;   // guestfsd_place before the calls
    std::string place_after;    // and after them
    long processes_per_is_dir = 0;
    long faults_per_command = 0;    // guestfsd's page faults per vfs-type (udevadm in C, blkid in OCaml)
    std::string exec_error;     // `file` with the file program gone
    bool serving_after = false;
};

ForkView fork_view(const PluginImages& images, const char* append)
{
    guestuml::TempDir dir("guestuml-ocaml-forks");
    const auto handle = launch_debian_ro(images, append, {scratch_disk(dir.path(), "scratch.img", 64)});
    guestfs_h* g = handle.get();
    ForkView view;

    // Warm up: the first calls fault in code and data of their own.
    REQUIRE(guestfs_is_dir(g, "/etc") == 1);
    free(guestfs_vfs_type(g, "/dev/sda1"));
    view.place_before = guestfsd_place(g);

    const long idle = guest_processes(g);
    const long base = guest_processes(g) - idle;   // debug sh's own
    const long before = guest_processes(g);
    for (int i = 0; i < calls_counted; ++i)
        REQUIRE(guestfs_is_dir(g, "/etc") == 1);
    view.processes_per_is_dir = (guest_processes(g) - before - base) / calls_counted;

    const long faults = guestfsd_faults(g);
    for (int i = 0; i < calls_counted; ++i)
        free(guestfs_vfs_type(g, "/dev/sda1"));
    view.faults_per_command = (guestfsd_faults(g) - faults) / calls_counted;

    view.results = fmt::format("is_file /etc/hostname {} is_dir /nope {} is_dir /etc/hostname {}\n",
                               guestfs_is_file(g, "/etc/hostname"), guestfs_is_dir(g, "/nope"),
                               guestfs_is_dir(g, "/etc/hostname"));
    view.results += "vfs-type " + take(guestfs_vfs_type(g, "/dev/sda1")) + "\n";
    view.results += "case-sensitive-path " + take(guestfs_case_sensitive_path(g, "/ETC/Hostname")) + "\n";
    view.results += "realpath " + take(guestfs_realpath(g, "/etc/../etc/hostname")) + "\n";
    view.results += "file " + take(guestfs_file(g, "/etc/hostname")) + "\n";
    view.results += "cat " + take(guestfs_cat(g, "/etc/hostname"));
    struct guestfs_statvfs* st = guestfs_statvfs(g, "/");
    REQUIRE(st);
    view.results += fmt::format("statvfs bsize {} blocks {}\n", st->bsize, st->blocks);
    guestfs_free_statvfs(st);
    // An exception in the child's function travels to the parent marshalled.
    guestfs_set_error_handler(g, nullptr, nullptr);
    char* bad = guestfs_case_sensitive_path(g, "/etc/../hostname");
    CHECK(bad == nullptr);
    std::free(bad);
    view.results += std::string("case-sensitive-path with ..: ") +
                    (guestfs_last_error(g) ? guestfs_last_error(g) : "") + "\n";
    view.place_after = guestfsd_place(g);

    make_large_release_root(g);
    char** roots = guestfs_inspect_os(g);
    REQUIRE(roots);
    std::vector<std::string> found;
    for (size_t i = 0; roots[i] != nullptr; ++i) {
        found.emplace_back(roots[i]);
        free(roots[i]);
    }
    free(roots);
    std::sort(found.begin(), found.end());
    for (const auto& root : found)
        view.large_root += root + " ";
    view.large_root += take(guestfs_inspect_get_distro(g, "/dev/sdb")) + " ";
    view.large_root += take(guestfs_inspect_get_product_name(g, "/dev/sdb")) + " ";
    view.large_root += take(guestfs_inspect_get_hostname(g, "/dev/sdb"));
    REQUIRE(guestfs_mount_ro(g, "/dev/sda1", "/") == 0);

    // Utils.commandr's child, when execvp fails.
    guest_shell(g, "mv /usr/bin/file /usr/bin/file.gone");
    char* out = guestfs_file(g, "/etc/hostname");
    CHECK(out == nullptr);
    std::free(out);
    view.exec_error = guestfs_last_error(g) ? guestfs_last_error(g) : "";
    view.serving_after = guestfs_is_dir(g, "/etc") == 1 && guestfs_exists(g, "/etc/hostname") == 1;

    REQUIRE(guestfs_shutdown(g) == 0);
    return view;
}

} // namespace

TEST_CASE("OCaml forks: Chroot.f in guestfsd and commands by vfork, the same results", "[capi]")
{
    apply_guestuml_env();
    const auto images = plugin_images(PLUGIN_IMAGE_DIR);
    const ForkView replaced = fork_view(images, "");
    const ForkView real = fork_view(images, "guestuml_ocaml_fork=0");

    INFO("results:\n" << replaced.results);
    CHECK(replaced.results.find("is_file /etc/hostname 1 is_dir /nope 0 is_dir /etc/hostname 0") !=
          std::string::npos);
    CHECK(replaced.results.find("case-sensitive-path /etc/hostname") != std::string::npos);
    CHECK(replaced.results.find("..: not found") != std::string::npos);
    CHECK(replaced.results == real.results);

    // The os-release of some 300 KB came back whole, not stuck in a pipe.
    CHECK(replaced.large_root == "/dev/sda1 /dev/sdb debian Large Release 12 large-release");
    CHECK(replaced.large_root == real.large_root);

    // guestfsd came back to its own root and directory, and the functions'
    // descriptors were closed, however many calls ran in it.
    INFO("guestfsd's root, directory and descriptors before: " << replaced.place_before);
    CHECK(replaced.place_before.rfind("/\n/\n", 0) == 0);
    CHECK(replaced.place_after == replaced.place_before);
    CHECK(real.place_after == real.place_before);

    // A Chroot.f call makes a process only when it forks for real.
    INFO("processes per is-dir: replaced " << replaced.processes_per_is_dir << ", real " << real.processes_per_is_dir);
    CHECK(replaced.processes_per_is_dir == 0);
    CHECK(real.processes_per_is_dir == 1);

    // blkid's fork write-protected guestfsd's private pages, which it then
    // faults back; its vfork leaves them alone.
    INFO("faults per vfs-type: replaced " << replaced.faults_per_command << ", real " << real.faults_per_command);
    CHECK(real.faults_per_command >= 5);
    CHECK(replaced.faults_per_command * 3 < real.faults_per_command);

    // The vfork child ends with a shell's 127 and the C library's reason;
    // guestfsd goes on serving either way.
    CHECK(replaced.exec_error.find("status 127") != std::string::npos);
    CHECK(replaced.exec_error.find("No such file or directory") != std::string::npos);
    CHECK(real.exec_error.find("No such file or directory") != std::string::npos);
    CHECK(replaced.serving_after);
    CHECK(real.serving_after);
}
