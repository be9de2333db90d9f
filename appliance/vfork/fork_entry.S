/* guestuml-vfork.so's fork() and _exit(): the entries every caller in guestfsd
 * reaches. They are written in assembly because they hand over between
 * processes that share one stack: a vfork child returns straight into its
 * caller, so nothing of ours may live on the stack the parent gets back (the
 * same reason glibc's own vfork is assembly), and a parent may resume in a
 * frame other than the one it called from.
 *
 * fork: guestfsd's C command runner (commandrvf) gets vfork; its child only
 * makes system calls and then execs or exits (command_vfork.cpp says how that
 * site is found and why it is safe). OCaml's Unix.fork asks ocaml_forks.cpp,
 * which picks one of three: a child of Chroot.f that runs in this process, a
 * vfork for an OCaml command, or the real fork. Every other caller gets the
 * real fork.
 *
 * Numbers used as they are: fork_entry.hpp static_asserts them. */
        .text
        .globl  fork
        .type   fork, @function
fork:
        .cfi_startproc
        movq    guestuml_vfork_return_address(%rip), %rax
        testq   %rax, %rax
        jz      1f
        cmpq    %rax, (%rsp)
        jne     1f
        jmp     vfork@PLT
1:      movq    guestuml_unix_fork_return_address(%rip), %rax
        testq   %rax, %rax
        jz      3f
        cmpq    %rax, (%rsp)
        jne     3f
        subq    $8, %rsp
        .cfi_adjust_cfa_offset 8
        call    guestuml_ocaml_fork_kind
        addq    $8, %rsp
        .cfi_adjust_cfa_offset -8
        cmpl    $1, %eax                /* guestuml_fork_in_process */
        je      4f
        cmpl    $2, %eax                /* guestuml_fork_vfork */
        jne     3f
        /* An OCaml command's vfork. The child returns through unix_fork into
         * OCaml code that shares this stack; the parent, once the child has
         * exec'd, cannot return through unix_fork's frame, which the child's
         * calls have overwritten. It resumes where caml_c_call would have
         * returned (guestuml_command_resume), kept in registers the system
         * call preserves; rbx and r12, which unix_fork would have restored,
         * are registers OCaml does not expect kept across the call. */
        movq    guestuml_command_resume(%rip), %r9        /* .sp */
        movq    guestuml_command_resume+16(%rip), %r10    /* .ip */
        movl    $58, %eax               /* SYS_vfork */
        syscall
        testq   %rax, %rax
        jz      4f
        js      5f
        movq    %r9, %rsp
        movq    %rax, %rbx
        movq    %r10, %r12
        call    guestuml_command_parent_resumed
        leaq    1(%rbx,%rbx), %rax      /* the child's pid, as an OCaml int */
        jmp     *%r12
        /* No child: the stack is as we found it, so the real fork may try. */
5:      subq    $8, %rsp
        .cfi_adjust_cfa_offset 8
        call    guestuml_command_parent_resumed
        addq    $8, %rsp
        .cfi_adjust_cfa_offset -8
        jmp     3f
4:      xorl    %eax, %eax
        ret
3:      movq    guestuml_real_fork(%rip), %rax
        testq   %rax, %rax
        jz      2f
        jmp     *%rax
        /* A fork from another library's constructor, before ours has run. */
2:      jmp     guestuml_fork_before_setup
        .cfi_endproc
        .size   fork, .-fork

/* _exit: the end of a process, or of a Chroot.f child that ran in this one
 * (chroot_in_process.cpp). For the latter guestuml_exit_or_resume returns
 * where Chroot.f's parent branch goes on, as if its fork had just returned:
 * the stack pointer of Chroot.f's frame, OCaml's domain state in r14, and the
 * child's pid as an OCaml int in rax. The code there reloads r15, OCaml's
 * allocation pointer, from the domain state; r15 at this entry is the child's
 * (guestfs_int_mllib_exit leaves it alone), which the C side stores there. */
        .globl  _exit
        .type   _exit, @function
_exit:
        .cfi_startproc
        movq    %rsp, %rsi
        movq    %r15, %rdx
        subq    $8, %rsp
        .cfi_adjust_cfa_offset 8
        call    guestuml_exit_or_resume
.Lresume_parent:
        movq    (%rax), %rsp
        movq    8(%rax), %r14
        movq    16(%rax), %rcx
        movq    24(%rax), %rax
        jmp     *%rcx
        .cfi_endproc
        .size   _exit, .-_exit

/* Handlers of the trap frames ocaml_forks.cpp and chroot_in_process.cpp put
 * under a child's OCaml code. OCaml's raise gets here with the stack pointer
 * just past the frame, in our data, and r15 current. */
        .globl  guestuml_chroot_child_trap
        .hidden guestuml_chroot_child_trap
        .type   guestuml_chroot_child_trap, @function
guestuml_chroot_child_trap:
        .cfi_startproc
        .cfi_undefined rip
        movq    guestuml_chroot_trap_stack(%rip), %rsp
        movq    %r15, %rdi
        call    guestuml_in_process_child_raised
        jmp     .Lresume_parent
        .cfi_endproc
        .size   guestuml_chroot_child_trap, .-guestuml_chroot_child_trap

        .globl  guestuml_command_child_trap
        .hidden guestuml_command_child_trap
        .type   guestuml_command_child_trap, @function
guestuml_command_child_trap:
        .cfi_startproc
        .cfi_undefined rip
        movl    $127, %edi
        movl    $231, %eax              /* SYS_exit_group: no stack needed */
        syscall
        hlt
        .cfi_endproc
        .size   guestuml_command_child_trap, .-guestuml_command_child_trap

        .section .note.GNU-stack,"",@progbits
