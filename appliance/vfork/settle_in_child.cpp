// guestuml-vfork.so's second part: guestfsd's `udevadm settle` without the
// udevadm program. guestfsd runs a settle before most calls that name a device
// (43 in one virt-inspector of a small Debian image), each a fork and exec of
// our static shim, 4 to 10 ms under UML. All the shim does for a settle is
// make the /dev/mapper links udev would have made (appliance/udevadm/); the
// child guestfsd forked to run it can do that itself and exit, which takes a
// few system calls. The child may be a vfork child sharing guestfsd's memory:
// make_mapper_links() makes system calls only, with buffers on the stack.
//
// The same execvp also ends an OCaml command's vfork child whose exec failed
// (ocaml_forks.cpp), which would otherwise go on in OCaml code.
#include "fork_entry.hpp"
#include "mapper_links.hpp"
#include "next_symbol.hpp"

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

// guestfsd's own root, where "udevadm" is our shim. A child that chrooted into
// the guest's filesystem (guestfs_command) runs the guest's own udevadm, and
// must never have links made in the guest's /dev.
bool in_appliance_root() noexcept
{
    struct stat st;
    return have_root && ::stat("/", &st) == 0 && st.st_dev == root_dev && st.st_ino == root_ino;
}

__attribute__((constructor)) void find_execvp()
{
    guestuml::preload::cached(real_execvp, "execvp");
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
            (void)!::write(STDERR_FILENO, message, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof message - 1));
        ::_exit(127);
    }
    return r;
}
