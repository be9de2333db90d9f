// The guestfsd builds whose OCaml forks guestuml-vfork.so may replace
// (ocaml_forks.cpp), and what in each build that depends on.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace guestuml::vfork {

// OCaml 4.13's domain state (runtime/caml/domain_state.tbl), byte offsets.
struct CamlStateLayout {
    std::uintptr_t young_ptr = 0x08;
    std::uintptr_t exception_pointer = 0x10;
    std::uintptr_t bottom_of_stack = 0xd0;
    std::uintptr_t last_return_address = 0xd8;
    std::uintptr_t local_roots = 0x120;
};

// Chroot.f's stack frame at its call of Unix.fork, in bytes from the stack
// pointer OCaml's caml_c_call records as bottom_of_stack.
struct ChrootFrame {
    std::uintptr_t size;        // where the return address into f's caller is
    std::uintptr_t write_fd;    // the pipe's write end (a tagged int)
    std::uintptr_t read_fd;     // the pipe's read end (a tagged int)
};

struct VettedOcamlForks {
    std::string_view build_id;               // NT_GNU_BUILD_ID, lower-case hex
    std::uintptr_t caml_state;               // the Caml_state variable
    std::uintptr_t unix_fork_return;         // unix_fork's `call fork@plt` + 5
    std::uintptr_t chroot_fork_return;       // Chroot.f's call of unix_fork + 5
    std::uintptr_t command_fork_return;      // Utils.commandr's call of unix_fork + 5
    std::uintptr_t mllib_exit_return;        // guestfs_int_mllib_exit's `call _exit@plt` + 5
    ChrootFrame frame;
    CamlStateLayout caml;
    // Return addresses of the Chroot.f calls whose function only makes system
    // calls and runs OCaml: stat, lstat, statvfs, realpath's directory walk,
    // reading a small file. Left out: Rpm (librpm on the guest's database, in
    // C, which may crash on a hostile one: that must kill a child, not
    // guestfsd), and the tail calls (isoinfo, readlink, realpath), whose
    // caller the OCaml stack does not name.
    std::array<std::uintptr_t, 12> callers;
    std::string_view package;                // where the binary comes from, for people
};

// How an entry is vetted (objdump -d with the symbol table Debian leaves in
// guestfsd).
//
// In camlUtils__commandr_inner, whose child gets vfork: from the fork's
// return to execvp, the child's branch writes no frame slot but the one for
// fork's result, which the parent writes again when it resumes there, and it
// calls only unix_dup2, unix_close and unix_execvp, none of which allocates on
// OCaml's heap. (A failed execvp would raise in the child: our execvp ends
// that child instead.)
//
// In camlChroot__f, whose child may run in guestfsd itself:
// - the child's branch, from the fork's return to Exit._exit (which is
//   guestfs_int_mllib_exit, called without caml_c_call, so the OCaml
//   allocation pointer is still in r15 when _exit is reached), writes only
//   frame slots the parent's branch writes before it reads them, or never
//   reads;
// - every slot the parent reads after the fork (the pipe's ends, the pid, t)
//   is live in the frame table at every call site of the child's branch
//   (the compiler does not know Exit._exit never returns, so the branch falls
//   through into the parent's code): a collection during the child keeps
//   them up to date.
// callers: the instruction after each `call camlChroot__f` in the functions
// named above.
inline constexpr std::array vetted_ocaml_forks{
    VettedOcamlForks{
        "e622f037eb174167e0ba7b04d087c2306b2b10eb",
        0x4226c80,
        0x1283b6,
        0xcd632,
        0xce442,
        0x121fec,
        ChrootFrame{0x38, 0x10, 0x18},
        CamlStateLayout{},
        {
            0xbc8de,   // Inspect_fs_windows.get_windows_systemroot_from_boot_ini: read_small_file
            0xbe556,   // Inspect_fs_unix.parse_os_release: read_small_file
            0xbed86,   // Inspect_fs_unix.parse_lsb_release: read_small_file
            0xbf12e,   // Inspect_fs_unix.parse_suse_release: read_small_file
            0xbf576,   // Inspect_fs_unix.parse_generic: the first line of a small file
            0xc0354,   // Inspect_fs_unix.check_hostname_from_file: read_small_file
            0xc0899,   // Inspect_fs_unix.check_hostname_freebsd: read_small_file
            0xc4c77,   // Inspect_utils.safe_file: stat
            0xc6827,   // Statvfs.statvfs
            0xc6af9,   // Realpath.case_sensitive_path: readdir
            0xca4ac,   // Is.is (is_file, is_dir, ...): stat or lstat
            0xcbcb7,   // File.file: lstat
        },
        "Debian 12 libguestfs0 1:1.48.6-2 amd64, supermin.d/daemon.tar.gz"},
};

} // namespace guestuml::vfork
