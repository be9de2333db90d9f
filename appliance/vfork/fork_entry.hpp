// What fork_entry.S reads and calls in the C++ parts of guestuml-vfork.so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/types.h>

extern "C" {

// Where fork_entry.S resumes guestfsd as the parent of a fork that did not
// return through unix_fork.
struct guestuml_resume {
    std::uintptr_t sp;          // the forking OCaml function's frame
    std::uintptr_t caml_state;  // for r14, where OCaml 4.13 keeps it
    std::uintptr_t ip;          // the instruction after its fork call
    std::uintptr_t result;      // fork's result, as an OCaml int
};

// What guestuml_ocaml_fork_kind() decides for a call of Unix.fork.
enum guestuml_ocaml_fork : int {
    guestuml_fork_real = 0,
    guestuml_fork_in_process = 1,   // set up already: fork returns 0 in this process
    guestuml_fork_vfork = 2,        // vfork, the parent resuming straight in OCaml
};

// unix_fork's return address from fork, 0 where no OCaml fork is replaced
// (a build that is not vetted, or GUESTUML_OCAML_FORK=real).
__attribute__((visibility("hidden"))) extern std::uintptr_t guestuml_unix_fork_return_address;

// Where an OCaml command's vfork parent resumes (sp and ip only).
__attribute__((visibility("hidden"))) extern guestuml_resume guestuml_command_resume;

// guestfsd's pid while an OCaml command's vfork child runs, else 0: the child
// compares it with its own (exec_in_child.cpp).
__attribute__((visibility("hidden"))) extern pid_t guestuml_ocaml_vfork_parent;

// OCaml trap frames (the enclosing handler, then the handler's code) that a
// child's stray exception lands in instead of guestfsd's own handlers.
__attribute__((visibility("hidden"))) extern std::uintptr_t guestuml_command_trap[2];
__attribute__((visibility("hidden"))) extern std::uintptr_t guestuml_chroot_trap[2];
// The stack guestuml_chroot_child_trap runs on: below the resumed frame.
__attribute__((visibility("hidden"))) extern std::uintptr_t guestuml_chroot_trap_stack;

// The handlers of those frames, in fork_entry.S: the command child exits 127;
// the in-process Chroot.f child ends as if it had exited 1.
__attribute__((visibility("hidden"))) void guestuml_command_child_trap();
__attribute__((visibility("hidden"))) void guestuml_chroot_child_trap();

// Which fork Unix.fork's caller gets, from the OCaml return address.
__attribute__((visibility("hidden"))) guestuml_ocaml_fork guestuml_ocaml_fork_kind();

// The command vfork's parent, back on its OCaml stack: puts guestfsd's own
// exception handler back.
__attribute__((visibility("hidden"))) void guestuml_command_parent_resumed();

// _exit's decision: exits the process (the usual case) or returns where an
// in-process child's parent resumes. entry_sp points at _exit's return
// address; young_ptr is r15 at the call.
__attribute__((visibility("hidden"))) const guestuml_resume* guestuml_exit_or_resume(int status,
                                                                                    const std::uintptr_t* entry_sp,
                                                                                    std::uintptr_t young_ptr);

// The in-process child raised past its own handlers: where its parent resumes.
__attribute__((visibility("hidden"))) const guestuml_resume* guestuml_in_process_child_raised(std::uintptr_t young_ptr);
}

// fork_entry.S uses these numbers as they are.
static_assert(offsetof(guestuml_resume, sp) == 0 && offsetof(guestuml_resume, caml_state) == 8 &&
              offsetof(guestuml_resume, ip) == 16 && offsetof(guestuml_resume, result) == 24);
static_assert(guestuml_fork_in_process == 1 && guestuml_fork_vfork == 2);
static_assert(sizeof(pid_t) == 4);
