/* guestuml-vfork.so's fork(): the entry every caller of fork in guestfsd
 * reaches. It is written in assembly because it must hand over to vfork or to
 * the real fork with the caller's stack exactly as the caller left it: a vfork
 * child returns straight into the caller, so nothing of ours may live on the
 * stack the parent gets back (the same reason glibc's own vfork is assembly).
 *
 * The one call site that gets vfork is guestfsd's commandrvf, whose child only
 * makes system calls and then execs or exits (command_vfork.cpp says how that
 * site is found and why it is safe). Every other caller, OCaml's Unix.fork
 * above all, whose child goes on running OCaml code, gets the real fork. */
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
1:      movq    guestuml_real_fork(%rip), %rax
        testq   %rax, %rax
        jz      2f
        jmp     *%rax
        /* A fork from another library's constructor, before ours has run. */
2:      jmp     guestuml_fork_before_setup
        .cfi_endproc
        .size   fork, .-fork

        .section .note.GNU-stack,"",@progbits
