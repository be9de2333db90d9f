// The guestfsd builds whose command runner guestuml-vfork.so may start with
// vfork, and where in each its fork call returns.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace guestuml::vfork {

struct VettedGuestfsd {
    std::string_view build_id;      // NT_GNU_BUILD_ID, lower-case hex
    std::uintptr_t fork_return;     // commandrvf's `call fork` + 5, from the load address
    std::string_view package;       // where the binary comes from, for people
};

// How an entry is vetted (objdump -d over the binary's own symbol table,
// which Debian leaves in guestfsd): in commandrvf, every instruction the child
// can run between that return and execvp or _exit reads the frame and
// otherwise only calls signal, close, dup2, open, chroot, chdir, execvp,
// perror and _exit. A child that wrote a stack slot of the frame would change
// what the parent reads after vfork returns in it, so a build is added only
// after its disassembly has been read for exactly that. (perror's FILE and
// the lazy PLT binding do write shared memory; guestfsd's single thread,
// stopped outside libc by vfork, makes both safe: docs/vfork.md.)
inline constexpr std::array vetted_guestfsd{
    VettedGuestfsd{"e622f037eb174167e0ba7b04d087c2306b2b10eb", 0x658ab,
                   "Debian 12 libguestfs0 1:1.48.6-2 amd64, supermin.d/daemon.tar.gz"},
};

} // namespace guestuml::vfork
