// guestuml-channel-io.so, preloaded into guestfsd in the appliance: guestfsd's
// I/O on its virtio channel goes through a ChannelStream, and its clock
// readings through a TscClock. Per 8 KiB chunk of an upload guestfsd made four
// system calls (two reads, the write to the disk, the time), and per chunk of
// a download five (the disk read, a cancellation check, two writes, the time);
// this leaves about one and two (docs/channel-io.md).
//
// The library's state lives in the two objects below, one per process, as the
// C library's own stdio state does. guestfsd has a single thread.
#include "channel_stream.hpp"
#include "tsc_clock.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/select.h>
#include <sys/time.h>
#include <unistd.h>
#include <x86intrin.h>

using guestuml::channel_io::ChannelStream;
using guestuml::channel_io::SystemCalls;
using guestuml::channel_io::TscClock;

namespace {

// guestfsd's default channel, the only one guestuml-init preloads us for.
constexpr char channel_path[] = "/dev/virtio-ports/org.libguestfs.channel.0";

ChannelStream stream;
TscClock tsc_clock;
// The process that opened the channel. A vfork child of guestuml-vfork.so
// runs in its memory, and must not change the stream when it closes its own
// copy of the descriptor.
pid_t stream_owner = 0;

template <typename F>
F next_symbol(const char* name)
{
    auto* f = reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
    if (f == nullptr) {
        std::fprintf(stderr, "guestuml-channel-io.so: the C library's %s was not found: %s\n", name, ::dlerror());
        std::abort();
    }
    return f;
}

// Resolved in our constructor, or at first use if that comes earlier: libraries
// guestfsd loads may call these from their own constructors, before ours runs.
template <typename F>
F& cached(F& slot, const char* name)
{
    if (slot == nullptr)
        slot = next_symbol<F>(name);
    return slot;
}

struct NextFunctions {
    int (*open)(const char*, int, ...) = nullptr;
    int (*open_2)(const char*, int) = nullptr;
    ssize_t (*read)(int, void*, size_t) = nullptr;
    ssize_t (*read_chk)(int, void*, size_t, size_t) = nullptr;
    ssize_t (*write)(int, const void*, size_t) = nullptr;
    ssize_t (*writev)(int, const iovec*, int) = nullptr;
    int (*select)(int, fd_set*, fd_set*, fd_set*, timeval*) = nullptr;
    int (*close)(int) = nullptr;
    int (*dup2)(int, int) = nullptr;
    int (*gettimeofday)(timeval*, void*) = nullptr;
};
NextFunctions next;

bool is_channel(int fd) { return fd >= 0 && fd == stream.fd(); }

int opened(const char* path, int fd)
{
    if (fd >= 0 && std::strcmp(path, channel_path) == 0 && stream.fd() < 0) {
        stream.attach(fd, SystemCalls{cached(next.read, "read"), cached(next.writev, "writev"),
                                      cached(next.select, "select")});
        stream_owner = ::getpid();
    }
    return fd;
}

// Before the channel's descriptor is closed or replaced by its owner.
void channel_going(int fd)
{
    if (is_channel(fd) && ::getpid() == stream_owner) {
        stream.flush();
        stream.detach();
    }
}

mode_t mode_argument(int flags, va_list args)
{
    return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(args, mode_t) : 0;
}

void flush_before_fork() { stream.flush(); }
// The child may read or close its copy of the channel; it has no share in our buffer.
void forget_in_child() { stream.detach(); }

} // namespace

extern "C" {

__attribute__((visibility("default"))) int open(const char* path, int flags, ...)
{
    va_list args;
    va_start(args, flags);
    const mode_t mode = mode_argument(flags, args);
    va_end(args);
    return opened(path, cached(next.open, "open")(path, flags, mode));
}

// On x86-64 the C library's open64 is its open, and __open64_2 its __open_2.
__attribute__((visibility("default"), alias("open"))) int open64(const char* path, int flags, ...);

__attribute__((visibility("default"))) int __open_2(const char* path, int flags)
{
    return opened(path, cached(next.open_2, "__open_2")(path, flags));
}

__attribute__((visibility("default"), alias("__open_2"))) int __open64_2(const char* path, int flags);

__attribute__((visibility("default"))) ssize_t read(int fd, void* buf, size_t count)
{
    return is_channel(fd) ? stream.read(buf, count) : cached(next.read, "read")(fd, buf, count);
}

// The fortified read guestfsd's xread compiles to.
__attribute__((visibility("default"))) ssize_t __read_chk(int fd, void* buf, size_t count, size_t size)
{
    if (!is_channel(fd) || count > size)   // the C library's own check reports the overflow
        return cached(next.read_chk, "__read_chk")(fd, buf, count, size);
    return stream.read(buf, count);
}

__attribute__((visibility("default"))) ssize_t write(int fd, const void* buf, size_t count)
{
    return is_channel(fd) ? stream.write(buf, count) : cached(next.write, "write")(fd, buf, count);
}

__attribute__((visibility("default"))) int select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
                                                  timeval* timeout)
{
    if (stream.fd() >= 0 && stream.fd() < nfds) {
        if (readfds != nullptr && FD_ISSET(stream.fd(), readfds))
            return stream.select(nfds, readfds, writefds, exceptfds, timeout);
        if (!stream.flush())
            return -1;
    }
    return cached(next.select, "select")(nfds, readfds, writefds, exceptfds, timeout);
}

__attribute__((visibility("default"))) int close(int fd)
{
    channel_going(fd);
    return cached(next.close, "close")(fd);
}

__attribute__((visibility("default"))) int dup2(int from, int to)
{
    if (from != to)
        channel_going(to);
    return cached(next.dup2, "dup2")(from, to);
}

__attribute__((visibility("default"))) int gettimeofday(timeval* tv, void* tz) noexcept
{
    auto real = cached(next.gettimeofday, "gettimeofday");
    // The obsolete time zone: the C library answers. (tv is never null: the
    // C library declares it so, and the compiler drops any test of it.)
    if (tz != nullptr)
        return real(tv, tz);
    if (tsc_clock.carried(__rdtsc(), *tv))
        return 0;
    const std::uint64_t before = __rdtsc();
    const int r = real(tv, nullptr);
    if (r == 0)
        *tv = tsc_clock.real(*tv, before, __rdtsc());
    return r;
}

} // extern "C"

__attribute__((constructor)) static void set_up_channel_io()
{
    // Only guestfsd needs it: the programs it starts get a plain environment.
    ::unsetenv("LD_PRELOAD");
    ::pthread_atfork(flush_before_fork, nullptr, forget_in_child);
    // Resolved now, so that a vfork child of guestuml-vfork.so, which calls
    // open and close in the parent's memory, never runs dlsym.
    cached(next.open, "open");
    cached(next.open_2, "__open_2");
    cached(next.read, "read");
    cached(next.read_chk, "__read_chk");
    cached(next.write, "write");
    cached(next.writev, "writev");
    cached(next.select, "select");
    cached(next.close, "close");
    cached(next.dup2, "dup2");
    cached(next.gettimeofday, "gettimeofday");
}

__attribute__((destructor)) static void flush_at_exit()
{
    stream.flush();
}
