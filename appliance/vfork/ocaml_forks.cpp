// guestuml-vfork.so's choice for guestfsd's OCaml forks (Unix.fork).
//
// Two of them run often during an inspection and are dear under UML, where a
// fork is a new address space whose pages each cost a round trip through the
// host when touched, and guestfsd's write-protected pages one more each
// afterwards (docs/vfork.md):
// - Utils.commandr (blkid, mount, lvm, ls, ...) forks a child that only dups
//   descriptors and execs: it gets vfork, like the C command runner
//   (command_vfork.cpp), with two differences. The child returns into OCaml
//   code that shares the parent's stack, and its later calls overwrite the C
//   frames the parent would return through, so fork_entry.S resumes the
//   parent straight at commandr's fork call instead. And an exception in the
//   child would run guestfsd's handlers in guestfsd's memory, so the child
//   runs over a handler of ours that exits 127.
// - Chroot.f's child, for the calls vetted_ocaml_forks.hpp lists, runs in
//   guestfsd itself (chroot_in_process.cpp).
// Which call forked is in OCaml's domain state: caml_c_call stores the OCaml
// return address there before it enters unix_fork.
#include "chroot_in_process.hpp"
#include "env_switch.hpp"
#include "fork_entry.hpp"
#include "main_program.hpp"
#include "ocaml_build.hpp"

#include <unistd.h>

extern "C" {
// Written once, by the constructor, before main runs; read by fork_entry.S.
std::uintptr_t guestuml_unix_fork_return_address = 0;
// Set here for each vfork; the parent clears guestuml_ocaml_vfork_parent in
// fork_entry.S.
guestuml_resume guestuml_command_resume{};
pid_t guestuml_ocaml_vfork_parent = 0;
std::uintptr_t guestuml_command_trap[2] = {};
}

namespace guestuml::vfork {
namespace {

OcamlBuild found_build;
pid_t guestfsd_pid = 0;

__attribute__((constructor)) void find_ocaml_build()
{
    if (!preload::take_switch("GUESTUML_OCAML_FORK"))
        return;
    guestfsd_pid = ::getpid();
    const MainProgram program = main_program();
    for (const auto& vetted : vetted_ocaml_forks)
        if (vetted.build_id == program.build_id) {
            found_build.vetted = &vetted;
            found_build.load = program.load_address;
            guestuml_unix_fork_return_address = found_build.address(vetted.unix_fork_return);
        }
}

} // namespace

const OcamlBuild& ocaml_build()
{
    return found_build;
}

} // namespace guestuml::vfork

extern "C" guestuml_ocaml_fork guestuml_ocaml_fork_kind()
{
    using namespace guestuml::vfork;
    const OcamlBuild& build = ocaml_build();
    if (build.vetted == nullptr)
        return guestuml_fork_real;
    const std::uintptr_t caller = build.caml_field(build.vetted->caml.last_return_address);
    if (caller == build.address(build.vetted->command_fork_return)) {
        guestuml_command_resume.sp = build.caml_field(build.vetted->caml.bottom_of_stack);
        guestuml_command_resume.ip = caller;
        std::uintptr_t& handler = build.caml_field(build.vetted->caml.exception_pointer);
        guestuml_command_trap[0] = handler;
        guestuml_command_trap[1] = reinterpret_cast<std::uintptr_t>(&guestuml_command_child_trap);
        handler = reinterpret_cast<std::uintptr_t>(guestuml_command_trap);
        // guestfsd's pid, even in a child that forked for real: only the
        // vfork child runs while this is set.
        guestuml_ocaml_vfork_parent = guestfsd_pid;
        return guestuml_fork_vfork;
    }
    if (caller == build.address(build.vetted->chroot_fork_return) && start_in_process_child(build))
        return guestuml_fork_in_process;
    return guestuml_fork_real;
}

extern "C" void guestuml_command_parent_resumed()
{
    const guestuml::vfork::OcamlBuild& build = guestuml::vfork::ocaml_build();
    build.caml_field(build.vetted->caml.exception_pointer) = guestuml_command_trap[0];
    guestuml_ocaml_vfork_parent = 0;
}
