// guest-stub-probe ADDRESS: runs inside the appliance (static, from a test
// disk) and does what a hostile guest process could try against kernel patch
// 0016 (appliance/kernel/6.12/0016-*): a host system call from the page of
// UML's stub, which now runs a process's pending mapping changes on its way
// back into the process, under PTRACE_CONT. ADDRESS is a syscall instruction
// in that page (the test reads it from the kernel: the guest cannot read the
// stub's page where the host maps execute-only pages with protection keys).
// The probe writes to a fresh page, so that the fault's mapping change goes
// through the stub, and jumps there with getpid's number and none of the
// stub's key. The minimal kernel must stop the appliance; the probe prints
// "returned" if it ever comes back.
#include <cstdio>
#include <cstdlib>
#include <sys/mman.h>
#include <sys/syscall.h>

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::puts("usage: guest-stub-probe ADDRESS");
        return 1;
    }
    const unsigned long target = std::strtoul(argv[1], nullptr, 0);
    void* fresh = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fresh == MAP_FAILED) {
        std::puts("mmap failed");
        return 1;
    }
    std::printf("jumping to %#lx\n", target);
    std::fflush(stdout);
    asm volatile("movb $1, (%[fresh])\n\t"
                 "mov %[nr], %%eax\n\t"
                 "jmp *%[target]"
                 :
                 : [fresh] "r"(fresh), [nr] "i"(SYS_getpid), [target] "r"(target)
                 : "rax", "memory");
    std::puts("returned");
    return 2;
}
