// What the host asked for on the kernel command line.
#pragma once

#include <string>
#include <string_view>

namespace guestuml::init {

struct BootOptions {
    std::string channel;    // guestfs_channel=PATH: guestfsd's --channel (empty: its default)
    bool verbose = false;   // guestfs_verbose=1
    // guestuml_profile=1: the init's step timings on the console (as with
    // verbose) without guestfsd's --verbose, for bench/boot_bench's profile.
    bool profile = false;
    std::string term;       // TERM=...: passed to guestfsd's environment
    // guestuml_lazy_augeas=0: guestfsd runs without guestuml-augeas.so (Augeas
    // then compiles every lens module at each aug_init, as on QEMU).
    bool lazy_augeas = true;
    // guestuml_vfork=0: guestfsd runs without guestuml-vfork.so (its commands
    // then start with a full fork, as on QEMU).
    bool vfork = true;
    // guestuml_ocaml_fork=0: with guestuml-vfork.so, guestfsd's OCaml
    // forks (inspection's Chroot.f, its OCaml commands) are all real ones
    // (appliance/vfork/ocaml_forks.cpp).
    bool replace_ocaml_forks = true;
    // guestuml_listings=0: with guestuml-vfork.so, guestfsd's listings of LVM
    // and of /dev/disk/by-path always run lvm and ls, even where the answer is
    // sure without them (appliance/vfork/exec_in_child.cpp).
    bool answer_listings = true;
    // guestuml_channel_io=0: guestfsd runs without guestuml-channel-io.so (one
    // system call per read, write and clock reading on its channel, as on QEMU).
    bool channel_io = true;
    // guestuml_lazy_libs=0: guestfsd loads every library it links at its start
    // instead of the builder's lazy stubs for the rarely used ones.
    bool lazy_libs = true;
};

// Parses /proc/cmdline's text (space-separated words; the last occurrence wins).
BootOptions parse_boot_options(std::string_view cmdline);

} // namespace guestuml::init
