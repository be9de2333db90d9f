// guestuml-vfork.so, preloaded into guestfsd in the appliance: the commands
// guestfsd runs start with vfork instead of fork.
//
// Under UML a fork is dear in proportion to the parent: the guest kernel
// write-protects every private page guestfsd has, and after the child has
// exec'd, guestfsd takes one page fault (a round trip through the host) for
// each of those pages it writes again: 150-200 per command, about two thirds
// of the 20 ms a `udevadm settle` costs guestfsd against 6 ms from sh
// (docs/kernel.md). A vfork child borrows the parent's address space until it
// execs, so nothing is write-protected and nothing faults afterwards.
//
// vfork is only right where the child does nothing but system calls before
// exec. guestfsd's C command runner (commandrvf, behind every command*() and
// udev_settle) is such a place; OCaml's Unix.fork, whose child runs OCaml
// code, is not. fork_entry.S tells them apart by the return address, which
// this constructor computes for the guestfsd builds vetted_guestfsd.hpp lists;
// for any other program or build it stays 0 and every fork is the real one.
#include "main_program.hpp"
#include "next_symbol.hpp"
#include "vetted_guestfsd.hpp"

#include <cstdint>
#include <sys/types.h>
#include <unistd.h>

// Read by fork_entry.S; written by the constructor, before main runs (the
// real fork also by a fork that comes before the constructor).
extern "C" {
__attribute__((visibility("hidden"))) std::uintptr_t guestuml_vfork_return_address = 0;
__attribute__((visibility("hidden"))) pid_t (*guestuml_real_fork)() = nullptr;
}

// fork_entry.S's way to the real fork while guestuml_real_fork is unset: a
// library guestfsd loads may fork in its own constructor, before ours runs.
extern "C" __attribute__((visibility("hidden"))) pid_t guestuml_fork_before_setup()
{
    return guestuml::preload::cached(guestuml_real_fork, "fork")();
}

__attribute__((constructor)) static void choose_fork_for_commands()
{
    guestuml::preload::cached(guestuml_real_fork, "fork");
    // Only guestfsd needs it: the programs it starts get a plain environment.
    ::unsetenv("LD_PRELOAD");

    const guestuml::vfork::MainProgram program = guestuml::vfork::main_program();
    for (const auto& vetted : guestuml::vfork::vetted_guestfsd)
        if (vetted.build_id == program.build_id)
            guestuml_vfork_return_address = program.load_address + vetted.fork_return;
}
