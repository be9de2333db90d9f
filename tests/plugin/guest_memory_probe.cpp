// guest-memory-probe: runs inside the appliance (static, from a test disk) and
// checks the memory semantics a guest process relies on, where the minimal
// kernel's patches changed how UML maps pages on the host
// (appliance/kernel/6.12/0006-* and 0007-*): first touches by read and by
// write, copy-on-write after fork in both directions, private and shared file
// mappings, stack growth, accesses that must still kill the process, and the
// registers and flags a process has when it faults (0016-* continues it from
// the stub's page, not from where it stopped).
// Prints one "NAME: ok" or "NAME: FAILED (why)" line per check.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr size_t page = 4096;
// How many pages each check's mapping has.
constexpr size_t pages = 1024;

void report(const char* name, const std::string& failure)
{
    if (failure.empty())
        std::printf("%s: ok\n", name);
    else
        std::printf("%s: FAILED (%s)\n", name, failure.c_str());
    std::fflush(stdout);
}

unsigned char* map_anonymous(size_t bytes, int prot)
{
    void* p = ::mmap(nullptr, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : static_cast<unsigned char*>(p);
}

// The value page i holds for owner `who`: differs between pages and owners.
unsigned char mark(size_t i, unsigned who) { return static_cast<unsigned char>(i * 7 + who * 31 + 1); }

// A fresh private mapping, touched first by a read (read_first) or by a write:
// it reads as zero, and each page keeps the byte written to it, no other.
std::string first_touch(bool read_first, unsigned who)
{
    unsigned char* p = map_anonymous(pages * page, PROT_READ | PROT_WRITE);
    if (!p)
        return "mmap failed";
    if (read_first) {
        unsigned sum = 0;
        for (size_t i = 0; i < pages; ++i)
            sum += p[i * page + i % page];
        if (sum != 0)
            return "fresh memory is not zero";
    }
    for (size_t i = 0; i < pages; ++i)
        p[i * page + i % page] = mark(i, who);
    for (size_t i = 0; i < pages; ++i)
        if (p[i * page + i % page] != mark(i, who) || p[i * page + (i + 1) % page] != 0)
            return "page " + std::to_string(i) + " reads back wrong";
    ::munmap(p, pages * page);
    return {};
}

// Parent and child both write every other page after the fork; each must keep
// seeing only its own writes, and the child the parent's values from before.
std::string copy_on_write()
{
    unsigned char* p = map_anonymous(pages * page, PROT_READ | PROT_WRITE);
    if (!p)
        return "mmap failed";
    for (size_t i = 0; i < pages; ++i)
        p[i * page] = mark(i, 0);
    for (unsigned round = 1; round <= 4; ++round) {
        int go[2];
        if (::pipe(go) != 0)
            return "pipe failed";
        const pid_t child = ::fork();
        if (child < 0)
            return "fork failed";
        if (child == 0) {
            char byte;
            ::close(go[1]);
            // Wait until the parent has written its pages.
            if (::read(go[0], &byte, 1) != 1)
                ::_exit(3);
            for (size_t i = 0; i < pages; i += 2)
                p[i * page] = mark(i, round);
            for (size_t i = 0; i < pages; ++i) {
                const unsigned char want = i % 2 == 0 ? mark(i, round) : mark(i, 0);
                if (p[i * page] != want)
                    ::_exit(1);
            }
            ::_exit(0);
        }
        ::close(go[0]);
        for (size_t i = 1; i < pages; i += 2)
            p[i * page] = mark(i, 100 + round);
        if (::write(go[1], "x", 1) != 1)
            return "pipe write failed";
        ::close(go[1]);
        int status = 0;
        ::waitpid(child, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return "the child of round " + std::to_string(round) + " saw the parent's writes or lost its own";
        for (size_t i = 0; i < pages; ++i) {
            const unsigned char want = i % 2 == 0 ? mark(i, 0) : mark(i, 100 + round);
            if (p[i * page] != want)
                return "the parent saw a child's write in round " + std::to_string(round);
        }
        for (size_t i = 1; i < pages; i += 2)
            p[i * page] = mark(i, 0);
    }
    ::munmap(p, pages * page);
    return {};
}

// A private writable mapping of a file read first (the kernel may handle that
// read as a write) must show the file's bytes, and writes must stay private.
std::string file_mappings(const char* file)
{
    const int fd = ::open(file, O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0)
        return std::string("cannot open ") + file;
    const size_t size = static_cast<size_t>(st.st_size);
    std::vector<unsigned char> bytes(size);
    if (::pread(fd, bytes.data(), size, 0) != static_cast<ssize_t>(size))
        return "short read";
    void* priv = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    void* shared = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (priv == MAP_FAILED || shared == MAP_FAILED)
        return "mmap failed";
    if (std::memcmp(priv, bytes.data(), size) != 0)
        return "the private mapping differs from the file";
    if (std::memcmp(shared, bytes.data(), size) != 0)
        return "the shared mapping differs from the file";
    auto* p = static_cast<unsigned char*>(priv);
    for (size_t i = 0; i < size; i += page)
        p[i] ^= 0xff;
    if (std::memcmp(shared, bytes.data(), size) != 0)
        return "a write to the private mapping reached the file";
    ::munmap(priv, size);
    ::munmap(shared, size);
    return {};
}

int depth_sum(int depth)
{
    volatile char frame[1024];
    frame[0] = static_cast<char>(depth);
    return depth == 0 ? frame[0] : frame[0] + depth_sum(depth - 1);
}

std::string stack_growth()
{
    // 6 MiB of stack frames (the default limit is 8 MiB).
    const pid_t child = ::fork();
    if (child == 0)
        ::_exit(depth_sum(6000) != 0 ? 0 : 1);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return "deep recursion did not complete (status " + std::to_string(status) + ")";
    return {};
}

// Runs `access` in a child, which must die of SIGSEGV.
std::string must_fault(const std::function<void()>& access)
{
    const pid_t child = ::fork();
    if (child == 0) {
        ::alarm(20);   // a fault handled wrongly tends to repeat for ever
        access();
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
        return {};
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        return "the access faulted again and again";
    return "the access did not fault (status " + std::to_string(status) + ")";
}

// registers_across_fault(page, out): loads a pattern into every general
// register, sets the carry and direction flags, writes to `page`, and stores
// what the registers and flags then hold in out[0..15]: rbx, rcx, rdx, rsi,
// rdi, rbp, r8 to r15, rax, flags. Callee-saved registers are kept.
extern "C" void registers_across_fault(unsigned char* page, unsigned long* out);
asm(R"(
    .text
    .globl registers_across_fault
    .type registers_across_fault, @function
registers_across_fault:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    push %rsi
    movabs $0x1010101010101010, %rax
    movabs $0x2020202020202020, %rbx
    movabs $0x3030303030303030, %rcx
    movabs $0x4040404040404040, %rdx
    movabs $0x5050505050505050, %rsi
    movabs $0x6060606060606060, %rbp
    movabs $0x7070707070707070, %r8
    movabs $0x8080808080808080, %r9
    movabs $0x9090909090909090, %r10
    movabs $0xa0a0a0a0a0a0a0a0, %r11
    movabs $0xb0b0b0b0b0b0b0b0, %r12
    movabs $0xc0c0c0c0c0c0c0c0, %r13
    movabs $0xd0d0d0d0d0d0d0d0, %r14
    movabs $0xe0e0e0e0e0e0e0e0, %r15
    std
    stc
    movb $0x5a, (%rdi)
    pushfq
    cld
    push %rax
    mov 16(%rsp), %rax
    mov %rbx, 0(%rax)
    mov %rcx, 8(%rax)
    mov %rdx, 16(%rax)
    mov %rsi, 24(%rax)
    mov %rdi, 32(%rax)
    mov %rbp, 40(%rax)
    mov %r8, 48(%rax)
    mov %r9, 56(%rax)
    mov %r10, 64(%rax)
    mov %r11, 72(%rax)
    mov %r12, 80(%rax)
    mov %r13, 88(%rax)
    mov %r14, 96(%rax)
    mov %r15, 104(%rax)
    pop %rbx
    mov %rbx, 112(%rax)
    pop %rbx
    mov %rbx, 120(%rax)
    pop %rsi
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret
    .size registers_across_fault, .-registers_across_fault
)");

// Each first write to a fresh page faults, and the fault's mapping change is
// still pending when the process goes on: every register and the flags must
// be what they were at the write.
std::string registers_across_faults()
{
    unsigned char* p = map_anonymous(pages * page, PROT_READ | PROT_WRITE);
    if (!p)
        return "mmap failed";
    const unsigned long carry = 0x1, direction = 0x400;
    for (size_t i = 0; i < pages; ++i) {
        unsigned long out[16] = {};
        unsigned char* target = p + i * page;
        registers_across_fault(target, out);
        const unsigned long expected[15] = {
            0x2020202020202020, 0x3030303030303030, 0x4040404040404040, 0x5050505050505050,
            reinterpret_cast<unsigned long>(target), 0x6060606060606060, 0x7070707070707070,
            0x8080808080808080, 0x9090909090909090, 0xa0a0a0a0a0a0a0a0, 0xb0b0b0b0b0b0b0b0,
            0xc0c0c0c0c0c0c0c0, 0xd0d0d0d0d0d0d0d0, 0xe0e0e0e0e0e0e0e0, 0x1010101010101010};
        for (size_t r = 0; r < 15; ++r)
            if (out[r] != expected[r])
                return "register " + std::to_string(r) + " changed at page " + std::to_string(i);
        if ((out[15] & carry) == 0 || (out[15] & direction) == 0)
            return "flags changed at page " + std::to_string(i);
        if (*target != 0x5a)
            return "the write did not stick at page " + std::to_string(i);
    }
    ::munmap(p, pages * page);
    return {};
}

} // namespace

// Somewhere in the program's code, to write to.
extern "C" __attribute__((noinline, used)) void guest_memory_probe_code() {}

int main(int argc, char** argv)
{
    report("first touch by write", first_touch(false, 1));
    report("first touch by read", first_touch(true, 2));
    report("copy on write", copy_on_write());
    report("file mappings", file_mappings(argc > 1 ? argv[1] : "/proc/self/exe"));
    report("stack growth", stack_growth());
    report("registers across faults", registers_across_faults());

    unsigned char* readonly = map_anonymous(page, PROT_READ);
    unsigned char* none = map_anonymous(page, PROT_NONE);
    volatile unsigned char sink = readonly ? readonly[0] : 0;
    (void)sink;
    report("write to read-only memory faults", must_fault([&] { *const_cast<volatile unsigned char*>(readonly) = 1; }));
    report("read of PROT_NONE memory faults", must_fault([&] { sink = *const_cast<volatile unsigned char*>(none); }));
    report("write to PROT_NONE memory faults", must_fault([&] { *const_cast<volatile unsigned char*>(none) = 1; }));
    report("write to code faults",
           must_fault([] { *reinterpret_cast<volatile unsigned char*>(&guest_memory_probe_code) = 0xc3; }));
    unsigned char* gone = map_anonymous(page, PROT_READ | PROT_WRITE);
    if (gone)
        ::munmap(gone, page);
    report("read of an unmapped address faults", must_fault([&] { sink = *const_cast<volatile unsigned char*>(gone); }));

    // A page made writable later by mprotect takes writes.
    std::string upgrade;
    if (!readonly || ::mprotect(readonly, page, PROT_READ | PROT_WRITE) != 0)
        upgrade = "mprotect failed";
    else {
        readonly[1] = 42;
        if (readonly[1] != 42)
            upgrade = "the write did not stick";
    }
    report("mprotect to writable", upgrade);
    return 0;
}
