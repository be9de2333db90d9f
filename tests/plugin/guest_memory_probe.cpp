// guest-memory-probe: runs inside the appliance (static, from a test disk) and
// checks the memory semantics a guest process relies on, where the minimal
// kernel's patches changed how UML maps pages on the host
// (appliance/kernel/6.12/0006-* and 0007-*): first touches by read and by
// write, copy-on-write after fork in both directions, private and shared file
// mappings, stack growth, and accesses that must still kill the process.
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
