#include "disk_batch.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace guestuml::channel_io {

void DiskBatch::reset(bool close_direct)
{
    if (has_direct_fd_ && close_direct)
        calls_.close(direct_fd_);
    has_direct_fd_ = false;
    direct_fd_ = 0;
    direct_refused_ = false;
    offset_apart_ = false;
    offset_ = 0;
    has_fd_ = false;
    fd_ = 0;
    for_writing_ = false;
    kind_ = Kind::unknown;
    mode_ = Mode::idle;
    deferred_error_ = 0;
    start_ = end_ = 0;
}

void DiskBatch::opened(int fd, int flags)
{
    if (fd < 0 || deferred_error_ != 0)
        return;
    const int access = flags & O_ACCMODE;
    // O_SYNC contains O_DSYNC.
    const int refused = O_APPEND | O_DIRECT | O_DSYNC | O_PATH;
    if ((access != O_RDONLY && access != O_WRONLY) || (flags & O_CLOEXEC) == 0 || (flags & refused) != 0)
        return;
    // The previous descriptor stays open but unbatched: the caller settled it.
    reset(true);
    has_fd_ = true;
    fd_ = fd;
    for_writing_ = access == O_WRONLY;
}

bool DiskBatch::batchable()
{
    if (kind_ == Kind::unknown) {
        struct stat st {};
        if (calls_.fstat(fd_, &st) != 0)
            kind_ = Kind::other;
        else
            kind_ = S_ISBLK(st.st_mode) ? Kind::block : S_ISREG(st.st_mode) ? Kind::file : Kind::other;
    }
    return kind_ == Kind::file || kind_ == Kind::block;
}

bool DiskBatch::direct(std::size_t length)
{
    if (kind_ != Kind::block || direct_refused_)
        return false;
    if (!offset_apart_) {
        offset_ = calls_.lseek(fd_, 0, SEEK_CUR);
        if (offset_ < 0) {
            direct_refused_ = true;
            return false;
        }
        offset_apart_ = true;
    }
    if (offset_ % direct_alignment != 0 || length % direct_alignment != 0) {
        give_offset_back(0);
        return false;
    }
    if (!has_direct_fd_) {
        // The same device opened again: a descriptor's O_DIRECT would change
        // guestfsd's own, and fcntl cannot set it on every kernel.
        char path[32];
        std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd_);
        const int access = for_writing_ ? O_WRONLY : O_RDONLY;
        const int fd = calls_.open(path, access | O_DIRECT | O_CLOEXEC);
        if (fd < 0) {
            direct_refused_ = true;
            give_offset_back(0);
            return false;
        }
        has_direct_fd_ = true;
        direct_fd_ = fd;
    }
    return true;
}

void DiskBatch::give_offset_back(std::size_t unread)
{
    if (offset_apart_)
        calls_.lseek(fd_, offset_ - static_cast<off_t>(unread), SEEK_SET);
    else if (unread > 0)
        calls_.lseek(fd_, -static_cast<off_t>(unread), SEEK_CUR);
    offset_apart_ = false;
}

std::optional<ssize_t> DiskBatch::read(int fd, void* buf, std::size_t count)
{
    if (!holds(fd) || for_writing_)
        return std::nullopt;
    if (mode_ == Mode::reading) {
        const std::size_t n = std::min(count, end_ - start_);
        std::memcpy(buf, buf_ + start_, n);
        start_ += n;
        if (start_ == end_)
            mode_ = Mode::idle;
        return static_cast<ssize_t>(n);
    }
    if (count != chunk_size || !batchable()) {
        give_offset_back(0);
        return std::nullopt;
    }
    ssize_t got;
    if (direct(batch_size)) {
        do
            got = calls_.pread(direct_fd_, buf_, batch_size, offset_);
        while (got < 0 && errno == EINTR);
        if (got > 0)
            offset_ += got;
        if (got < 0 && errno == EINVAL) {
            // The device takes no direct I/O after all (a larger logical
            // block, say): it reads through the descriptor from now on.
            direct_refused_ = true;
            give_offset_back(0);
            got = calls_.read(fd_, buf_, batch_size);
        }
    } else {
        got = calls_.read(fd_, buf_, batch_size);
    }
    if (got <= 0)
        return got;
    // The file offset is now past what guestfsd has read, until settle().
    mode_ = Mode::reading;
    start_ = 0;
    end_ = static_cast<std::size_t>(got);
    return read(fd, buf, count);
}

bool DiskBatch::write_held()
{
    bool direct_write = direct(end_);
    std::size_t done = 0;
    while (done < end_) {
        const ssize_t n = direct_write ? calls_.pwrite(direct_fd_, buf_ + done, end_ - done, offset_)
                                       : calls_.write(fd_, buf_ + done, end_ - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EINVAL && direct_write && done == 0) {
            // As in read(): no direct I/O after all.
            direct_refused_ = true;
            give_offset_back(0);
            direct_write = false;
            continue;
        }
        if (n > 0 && direct_write)
            offset_ += n;
        if (n <= 0) {
            const int error = n < 0 ? errno : EIO;
            // The bytes not written are given up: guestfsd reports the error
            // and abandons the transfer, as it would have at its own write.
            mode_ = Mode::idle;
            end_ = 0;
            errno = error;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    mode_ = Mode::idle;
    end_ = 0;
    return true;
}

std::optional<ssize_t> DiskBatch::write(int fd, const void* buf, std::size_t count)
{
    if (!holds(fd) || !for_writing_)
        return std::nullopt;
    if (deferred_error_ != 0) {
        errno = deferred_error_;
        deferred_error_ = 0;
        return -1;
    }
    if (count != chunk_size || !batchable()) {
        // Held bytes first, so that the file gets them in order, and the
        // caller's bytes where it expects them.
        if (mode_ == Mode::writing && !write_held())
            return -1;
        give_offset_back(0);
        return std::nullopt;
    }
    std::memcpy(buf_ + end_, buf, count);
    end_ += count;
    mode_ = Mode::writing;
    if (end_ + chunk_size > batch_size && !write_held())
        return -1;
    return static_cast<ssize_t>(count);
}

void DiskBatch::settle()
{
    if (!busy())
        return;
    const int saved = errno;
    if (mode_ == Mode::writing && !write_held())
        deferred_error_ = errno;
    // A regular file or block device: moving the offset cannot fail.
    give_offset_back(mode_ == Mode::reading ? end_ - start_ : 0);
    mode_ = Mode::idle;
    kind_ = Kind::other;
    errno = saved;
}

int DiskBatch::closing(int fd)
{
    if (!holds(fd))
        return 0;
    int error = deferred_error_;
    if (mode_ == Mode::writing && !write_held() && error == 0)
        error = errno;
    reset(true);   // bytes read ahead, and the offset, go with the descriptor
    return error;
}

void DiskBatch::duplicating(int fd)
{
    if (!holds(fd))
        return;
    settle();
    // Still ours, so that an error held for it is reported at its next write or close.
    kind_ = Kind::other;
}

void DiskBatch::forget()
{
    reset(false);   // the parent's direct descriptor: closed by the child's exec
}

} // namespace guestuml::channel_io
