// File system calls made directly, not through the C library's functions:
// guestfsd's preloads wrap open, read, write, close and fstat, and a child
// guestfsd forked by vfork must not run their code on guestfsd's state.
// Header-only, for code without a C++ runtime of its own.
#pragma once

#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

namespace guestuml::preload {

// open(2), always close-on-exec.
inline int sys_open(const char* path, int flags) noexcept
{
    return static_cast<int>(::syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0));
}

inline void sys_close(int fd) noexcept { ::syscall(SYS_close, fd); }

inline long sys_read(int fd, void* buf, std::size_t size) noexcept
{
    return ::syscall(SYS_read, fd, buf, size);
}

inline long sys_write(int fd, const void* buf, std::size_t size) noexcept
{
    return ::syscall(SYS_write, fd, buf, size);
}

inline int sys_fstat(int fd, struct stat* st) noexcept
{
    return static_cast<int>(::syscall(SYS_fstat, fd, st));
}

inline long sys_pread(int fd, void* buf, std::size_t size, off_t offset) noexcept
{
    return ::syscall(SYS_pread64, fd, buf, size, offset);
}

// Calls f(name) for each entry of dir, "." and ".." left out. False if dir
// could not be opened or read to its end.
template <typename F>
bool for_each_entry(const char* dir, F f) noexcept
{
    const int fd = sys_open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return false;
    alignas(8) char buf[4096];
    long n;
    while ((n = ::syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name.
            unsigned short reclen;
            std::memcpy(&reclen, buf + off + 16, sizeof reclen);
            const char* name = buf + off + 19;
            if (std::strcmp(name, ".") != 0 && std::strcmp(name, "..") != 0)
                f(name);
            off += reclen;
        }
    }
    sys_close(fd);
    return n == 0;
}

// Owns a descriptor from sys_open; closes it with sys_close.
class RawFd {
public:
    explicit RawFd(int fd) noexcept : fd_(fd) {}
    RawFd(const RawFd&) = delete;
    RawFd& operator=(const RawFd&) = delete;
    ~RawFd()
    {
        if (fd_ >= 0)
            sys_close(fd_);
    }
    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }

private:
    int fd_;
};

} // namespace guestuml::preload
