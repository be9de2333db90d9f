// guestuml-channel-io.so, preloaded into guestfsd in the appliance: guestfsd's
// I/O on its virtio channel goes through a ChannelStream, its 8 KiB reads and
// writes of the file it downloads or uploads through a DiskBatch, and its
// clock readings through a TscClock. Per 8 KiB chunk of an upload guestfsd
// made four system calls (two reads, the write to the disk, the time), and per
// chunk of a download five (the disk read, a cancellation check, two writes,
// the time); this leaves about an eighth and a half (docs/channel-io.md).
//
// The library's state lives in the objects below, one per process, as the
// C library's own stdio state does. guestfsd has a single thread.
#include "channel_stream.hpp"
#include "next_symbol.hpp"
#include "disk_batch.hpp"
#include "tsc_clock.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <x86intrin.h>

using guestuml::channel_io::ChannelStream;
using guestuml::channel_io::DiskBatch;
using guestuml::channel_io::DiskCalls;
using guestuml::channel_io::SystemCalls;
using guestuml::channel_io::TscClock;
using guestuml::preload::cached;

namespace {

// guestfsd's default channel, the only one guestuml-init preloads us for.
constexpr char channel_path[] = "/dev/virtio-ports/org.libguestfs.channel.0";

ChannelStream stream;
DiskBatch disk;
TscClock tsc_clock;
// The process that opened the channel. A vfork child of guestuml-vfork.so
// runs in its memory, and must not change the stream when it closes its own
// copy of the descriptor.
pid_t stream_owner = 0;
// The process whose batch `disk` is, for the same reason: set by our
// constructor and in a fork's child, never by a vfork's.
pid_t disk_owner = 0;

struct NextFunctions {
    int (*open)(const char*, int, ...) = nullptr;
    int (*open_2)(const char*, int) = nullptr;
    ssize_t (*read)(int, void*, size_t) = nullptr;
    ssize_t (*read_chk)(int, void*, size_t, size_t) = nullptr;
    ssize_t (*write)(int, const void*, size_t) = nullptr;
    ssize_t (*writev)(int, const iovec*, int) = nullptr;
    int (*select)(int, fd_set*, fd_set*, fd_set*, timeval*) = nullptr;
    int (*close)(int) = nullptr;
    int (*dup)(int) = nullptr;
    int (*dup2)(int, int) = nullptr;
    int (*dup3)(int, int, int) = nullptr;
    off_t (*lseek)(int, off_t, int) = nullptr;
    int (*fstat)(int, struct stat*) = nullptr;
    int (*fstat64)(int, struct stat64*) = nullptr;
    int (*fsync)(int) = nullptr;
    int (*fdatasync)(int) = nullptr;
    int (*ftruncate)(int, off_t) = nullptr;
    ssize_t (*pread)(int, void*, size_t, off_t) = nullptr;
    ssize_t (*pread_chk)(int, void*, size_t, off_t, size_t) = nullptr;
    int (*fcntl)(int, int, ...) = nullptr;
    ssize_t (*pwrite)(int, const void*, size_t, off_t) = nullptr;
    void (*sync)() = nullptr;
    int (*syncfs)(int) = nullptr;
    int (*gettimeofday)(timeval*, void*) = nullptr;
};
NextFunctions next;

// Before any call of guestfsd's other than its channel I/O, its clock and the
// batch's own reads and writes: the file is then as guestfsd left it. Only the
// batch's owner settles it (a vfork child shares its memory); getpid is a
// round trip through the host, made only when something is batched.
void settle_disk()
{
    if (disk.busy() && ::getpid() == disk_owner)
        disk.settle();
}

// A call on a descriptor that the batch must see settled first.
template <typename F, typename... Args>
auto settled(F& slot, const char* name, Args... args)
{
    settle_disk();
    return cached(slot, name)(args...);
}

bool is_channel(int fd) { return fd >= 0 && fd == stream.fd(); }

int opened(const char* path, int flags, int fd)
{
    if (fd >= 0 && std::strcmp(path, channel_path) == 0 && stream.fd() < 0) {
        stream.attach(fd, SystemCalls{cached(next.read, "read"), cached(next.writev, "writev"),
                                      cached(next.select, "select")});
        stream_owner = ::getpid();
    } else if (disk_owner != 0 && fd >= 0 && !is_channel(fd)) {
        // The batch's number again: its descriptor was closed where we could
        // not see it (an fclose).
        if (disk.holds(fd)) {
            if (::getpid() != disk_owner)
                return fd;
            disk.closing(fd);
        }
        // No owner check here: of guestfsd's vfork children
        // (appliance/vfork/), the C command runner's open /dev/null without
        // O_CLOEXEC, which the batch never takes, and the OCaml command
        // runner's open nothing.
        disk.opened(fd, flags);
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

// Before a descriptor is closed or replaced: an error the batch held for it.
int disk_going(int fd)
{
    if (!disk.holds(fd)) {
        settle_disk();
        return 0;
    }
    return ::getpid() == disk_owner ? disk.closing(fd) : 0;
}

mode_t mode_argument(int flags, va_list args)
{
    return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(args, mode_t) : 0;
}

// Before fd is duplicated: the copy would share the batch's file offset.
void disk_duplicating(int fd)
{
    if (disk.holds(fd) && ::getpid() == disk_owner)
        disk.duplicating(fd);
}

// Before dup2 or dup3 puts a copy of `from` in place of `to`.
void duplicating_onto(int from, int to)
{
    if (from != to) {
        channel_going(to);
        disk_going(to);
    }
    disk_duplicating(from);
}

void flush_before_fork()
{
    stream.flush();
    settle_disk();
}
// The child may read or close its copy of the channel; it has no share in our
// buffers.
void forget_in_child()
{
    stream.detach();
    disk.forget();
    disk_owner = 0;   // it execs: nothing to batch
}

} // namespace

extern "C" {

__attribute__((visibility("default"))) int open(const char* path, int flags, ...)
{
    va_list args;
    va_start(args, flags);
    const mode_t mode = mode_argument(flags, args);
    va_end(args);
    settle_disk();
    return opened(path, flags, cached(next.open, "open")(path, flags, mode));
}

// On x86-64 the C library's open64 is its open, __open64_2 its __open_2, and
// so on for the other *64 functions below.
__attribute__((visibility("default"), alias("open"))) int open64(const char* path, int flags, ...);

__attribute__((visibility("default"))) int __open_2(const char* path, int flags)
{
    settle_disk();
    return opened(path, flags, cached(next.open_2, "__open_2")(path, flags));
}

__attribute__((visibility("default"), alias("__open_2"))) int __open64_2(const char* path, int flags);

__attribute__((visibility("default"))) ssize_t read(int fd, void* buf, size_t count)
{
    if (is_channel(fd))
        return stream.read(buf, count);
    if (const auto batched = disk.read(fd, buf, count))
        return *batched;
    settle_disk();
    return cached(next.read, "read")(fd, buf, count);
}

// The fortified read guestfsd's xread compiles to.
__attribute__((visibility("default"))) ssize_t __read_chk(int fd, void* buf, size_t count, size_t size)
{
    if (count > size)   // the C library's own check reports the overflow
        return cached(next.read_chk, "__read_chk")(fd, buf, count, size);
    return read(fd, buf, count);
}

__attribute__((visibility("default"))) ssize_t write(int fd, const void* buf, size_t count)
{
    if (is_channel(fd))
        return stream.write(buf, count);
    if (const auto batched = disk.write(fd, buf, count))
        return *batched;
    settle_disk();
    return cached(next.write, "write")(fd, buf, count);
}

__attribute__((visibility("default"))) int select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
                                                  timeval* timeout)
{
    // The check for a cancellation between two download chunks leaves the
    // download's read-ahead in place.
    if (!stream.cancellation_check(nfds, readfds, writefds, exceptfds, timeout))
        settle_disk();
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
    const int error = disk_going(fd);
    const int r = cached(next.close, "close")(fd);
    if (error != 0) {
        errno = error;
        return -1;
    }
    return r;
}

__attribute__((visibility("default"))) int dup(int fd)
{
    disk_duplicating(fd);
    return settled(next.dup, "dup", fd);
}

__attribute__((visibility("default"))) int dup2(int from, int to)
{
    duplicating_onto(from, to);
    return settled(next.dup2, "dup2", from, to);
}

__attribute__((visibility("default"))) int dup3(int from, int to, int flags)
{
    duplicating_onto(from, to);
    return settled(next.dup3, "dup3", from, to, flags);
}

// Calls that see or move the file offset, the file's size or its data
// elsewhere than through read and write: the batch is settled first.
__attribute__((visibility("default"))) off_t lseek(int fd, off_t offset, int whence)
{
    return settled(next.lseek, "lseek", fd, offset, whence);
}

__attribute__((visibility("default"), alias("lseek"))) off_t lseek64(int fd, off_t offset, int whence);

__attribute__((visibility("default"))) int fstat(int fd, struct stat* st)
{
    return settled(next.fstat, "fstat", fd, st);
}

__attribute__((visibility("default"))) int fstat64(int fd, struct stat64* st)
{
    return settled(next.fstat64, "fstat64", fd, st);
}

__attribute__((visibility("default"))) int fsync(int fd) { return settled(next.fsync, "fsync", fd); }

__attribute__((visibility("default"))) int fdatasync(int fd) { return settled(next.fdatasync, "fdatasync", fd); }

__attribute__((visibility("default"))) int ftruncate(int fd, off_t length)
{
    return settled(next.ftruncate, "ftruncate", fd, length);
}

__attribute__((visibility("default"), alias("ftruncate"))) int ftruncate64(int fd, off_t length);

__attribute__((visibility("default"))) ssize_t pread(int fd, void* buf, size_t count, off_t offset)
{
    return settled(next.pread, "pread", fd, buf, count, offset);
}

__attribute__((visibility("default"), alias("pread"))) ssize_t pread64(int fd, void* buf, size_t count, off_t offset);

__attribute__((visibility("default"))) ssize_t __pread64_chk(int fd, void* buf, size_t count, off_t offset,
                                                            size_t size)
{
    return settled(next.pread_chk, "__pread64_chk", fd, buf, count, offset, size);
}

__attribute__((visibility("default"))) ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset)
{
    return settled(next.pwrite, "pwrite", fd, buf, count, offset);
}

__attribute__((visibility("default"), alias("pwrite"))) ssize_t pwrite64(int fd, const void* buf, size_t count,
                                                                        off_t offset);

__attribute__((visibility("default"))) int fcntl(int fd, int cmd, ...)
{
    // Every command's argument, where it has one, is an int or a pointer.
    va_list args;
    va_start(args, cmd);
    const unsigned long argument = va_arg(args, unsigned long);
    va_end(args);
    if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
        disk_duplicating(fd);
    return settled(next.fcntl, "fcntl", fd, cmd, argument);
}

__attribute__((visibility("default"), alias("fcntl"))) int fcntl64(int fd, int cmd, ...);

__attribute__((visibility("default"))) void sync() { settled(next.sync, "sync"); }

__attribute__((visibility("default"))) int syncfs(int fd) { return settled(next.syncfs, "syncfs", fd); }

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
    cached(next.dup, "dup");
    cached(next.dup2, "dup2");
    cached(next.dup3, "dup3");
    cached(next.lseek, "lseek");
    cached(next.fstat, "fstat");
    cached(next.fstat64, "fstat64");
    cached(next.fsync, "fsync");
    cached(next.fdatasync, "fdatasync");
    cached(next.ftruncate, "ftruncate");
    cached(next.pread, "pread");
    cached(next.pread_chk, "__pread64_chk");
    cached(next.fcntl, "fcntl");
    cached(next.pwrite, "pwrite");
    cached(next.sync, "sync");
    cached(next.syncfs, "syncfs");
    cached(next.gettimeofday, "gettimeofday");
    disk.set_calls(
        DiskCalls{next.read, next.write, next.lseek, next.fstat, next.open, next.close, next.pread, next.pwrite});
    disk_owner = ::getpid();
}

__attribute__((destructor)) static void flush_at_exit()
{
    settle_disk();
    stream.flush();
}
