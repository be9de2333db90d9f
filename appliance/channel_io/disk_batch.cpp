#include "disk_batch.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>

namespace guestuml::channel_io {

void DiskBatch::reset()
{
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
    reset();
    has_fd_ = true;
    fd_ = fd;
    for_writing_ = access == O_WRONLY;
}

bool DiskBatch::batchable()
{
    if (kind_ == Kind::unknown) {
        struct stat st {};
        kind_ = calls_.fstat(fd_, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) ? Kind::file
                                                                                          : Kind::other;
    }
    return kind_ == Kind::file;
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
    if (count != chunk_size || !batchable())
        return std::nullopt;
    const ssize_t got = calls_.read(fd_, buf_, batch_size);
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
    std::size_t done = 0;
    while (done < end_) {
        const ssize_t n = calls_.write(fd_, buf_ + done, end_ - done);
        if (n < 0 && errno == EINTR)
            continue;
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
        // Held bytes first, so that the file gets them in order.
        if (mode_ == Mode::writing && !write_held())
            return -1;
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
    if (mode_ == Mode::idle)
        return;
    const int saved = errno;
    if (mode_ == Mode::writing && !write_held())
        deferred_error_ = errno;
    if (mode_ == Mode::reading) {
        // A regular file or block device: moving back cannot fail.
        calls_.lseek(fd_, -static_cast<off_t>(end_ - start_), SEEK_CUR);
        mode_ = Mode::idle;
    }
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
    reset();   // bytes read ahead go with the descriptor
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
    reset();
}

} // namespace guestuml::channel_io
