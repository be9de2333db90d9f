// guestuml-vfork.so's execvp: the commands guestfsd runs whose work the child
// it forked can do itself, without starting a program. Under UML a program's
// start is dear (its mappings and page faults are round trips through the
// host), and the child may be a vfork child sharing guestfsd's memory, so
// what it does instead makes system calls only, with buffers on the stack.
// - `udevadm settle`, before most calls that name a device (43 in one
//   virt-inspector of a small Debian image), each 4 to 10 ms for our static
//   shim: all the shim does for a settle is make the /dev/mapper links udev
//   would have made (appliance/udevadm/).
// - guestfsd's listings whose answer it can be sure of: LVM's while there is
//   no LVM (lvm_listing.cpp), and /dev/disk/by-path's while it holds only
//   guestuml-init's links (by_path_listing.cpp). GUESTUML_LISTINGS=real in
//   guestfsd's environment (guestuml_listings=0 on the kernel command line)
//   has the programs run instead.
//
// The same execvp also ends an OCaml command's vfork child whose exec failed
// (ocaml_forks.cpp), which would otherwise go on in OCaml code.
#include "by_path_listing.hpp"
#include "env_switch.hpp"
#include "fork_entry.hpp"
#include "lvm_listing.hpp"
#include "mapper_links.hpp"
#include "next_symbol.hpp"
#include "raw_syscalls.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using Execvp = int (*)(const char*, char* const[]);

// Set by the constructor, before guestfsd's main runs, and only read after
// (the real execvp also by an exec that comes before the constructor).
Execvp real_execvp = nullptr;
dev_t root_dev = 0;
ino_t root_ino = 0;
bool have_root = false;
bool answer_listings = true;

// guestfsd's own root, where "udevadm" is our shim and "lvm" reads our
// lvm.conf. A child that chrooted into the guest's filesystem
// (guestfs_command) runs the guest's own programs, and must never have links
// made in the guest's /dev.
bool in_appliance_root() noexcept
{
    struct stat st;
    return have_root && ::stat("/", &st) == 0 && st.st_dev == root_dev && st.st_ino == root_ino;
}

__attribute__((constructor)) void find_execvp()
{
    guestuml::preload::cached(real_execvp, "execvp");
    answer_listings = guestuml::preload::take_switch("GUESTUML_LISTINGS");
    struct stat st;
    if (::stat("/", &st) == 0) {
        root_dev = st.st_dev;
        root_ino = st.st_ino;
        have_root = true;
    }
}

} // namespace

extern "C" __attribute__((visibility("default"))) int execvp(const char* file, char* const argv[])
{
    if (std::strcmp(file, "udevadm") == 0 && guestuml::udevadm::is_settle(argv) &&
        in_appliance_root()) {
        guestuml::udevadm::make_mapper_links();
        ::_exit(0);
    }
    if (answer_listings && std::strcmp(file, "lvm") == 0 && in_appliance_root() &&
        guestuml::vfork::lvm_listing_is_empty(argv))
        ::_exit(0);
    if (answer_listings && std::strcmp(file, "ls") == 0 && in_appliance_root()) {
        const int status = guestuml::vfork::list_by_path(argv);
        if (status >= 0)
            ::_exit(status);
    }
    // A library constructor's child may exec before our constructor has run
    // (a real fork, so looking the function up here is safe).
    const int r = guestuml::preload::cached(real_execvp, "execvp")(file, argv);
    // An OCaml command's vfork child (ocaml_forks.cpp) would raise in OCaml
    // code that shares guestfsd's memory and stack: it ends here instead, as
    // the C command runner's child does, with a shell's status for a program
    // that could not be run.
    if (guestuml_ocaml_vfork_parent != 0 && ::getpid() != guestuml_ocaml_vfork_parent) {
        const int error = errno;
        char message[256];
        const int n = std::snprintf(message, sizeof message, "%s: %s\n", file, std::strerror(error));
        if (n > 0)
            guestuml::preload::sys_write(STDERR_FILENO, message,
                                         std::min<std::size_t>(static_cast<std::size_t>(n), sizeof message - 1));
        ::_exit(127);
    }
    return r;
}
