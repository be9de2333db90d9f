#include "channel_stream.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace guestuml::channel_io {

void ChannelStream::attach(int fd, const SystemCalls& calls)
{
    detach();
    attached_ = true;
    fd_ = fd;
    calls_ = calls;
}

void ChannelStream::detach()
{
    attached_ = false;
    fd_ = 0;
    held_size_ = 0;
    continuing_ = false;
    skipped_checks_ = 0;
    start_ = end_ = 0;
}

bool ChannelStream::flush()
{
    while (held_size_ > 0) {
        const iovec held{held_, held_size_};
        const ssize_t n = calls_.writev(fd_, &held, 1);
        if (n < 0)
            return false;
        drop_held(static_cast<std::size_t>(n));
    }
    return true;
}

void ChannelStream::drop_held(std::size_t sent)
{
    std::memmove(held_, held_ + sent, held_size_ - sent);
    held_size_ -= sent;
}

ssize_t ChannelStream::read(void* buf, std::size_t count)
{
    if (!flush())
        return -1;
    if (count == 0)
        return 0;
    if (start_ == end_) {
        // A read this large gains nothing from a copy through our buffer.
        if (count >= read_ahead_size)
            return calls_.read(fd_, buf, count);
        const ssize_t n = calls_.read(fd_, ahead_, read_ahead_size);
        if (n <= 0)
            return n;
        start_ = 0;
        end_ = static_cast<std::size_t>(n);
    }
    const std::size_t n = std::min(count, end_ - start_);
    std::memcpy(buf, ahead_ + start_, n);
    start_ += n;
    return static_cast<ssize_t>(n);
}

ssize_t ChannelStream::write(const void* buf, std::size_t count)
{
    // guestfsd writes every message as its length word, then its body: the
    // word waits for the body, or for guestfsd to read or poll the channel.
    if (held_size_ == 0 && count == sizeof held_ && !continuing_) {
        std::memcpy(held_, buf, count);
        held_size_ = count;
        return static_cast<ssize_t>(count);
    }
    while (held_size_ > 0) {
        // A writev of two parts is two port writes: two queued buffers, two
        // kicks of the host, two interrupts back. Joined, they are one.
        iovec parts[2] = {{held_, held_size_}, {const_cast<void*>(buf), count}};
        int part_count = 2;
        if (held_size_ + count <= joined_size) {
            std::memcpy(joined_, held_, held_size_);
            std::memcpy(joined_ + held_size_, buf, count);
            parts[0] = {joined_, held_size_ + count};
            part_count = 1;
        }
        const ssize_t n = calls_.writev(fd_, parts, part_count);
        if (n < 0)
            return -1;   // held bytes stay: the caller retries, or reads and flushes
        if (static_cast<std::size_t>(n) < held_size_) {
            drop_held(static_cast<std::size_t>(n));
            continue;
        }
        const std::size_t body = static_cast<std::size_t>(n) - held_size_;
        held_size_ = 0;
        if (body > 0 || count == 0) {
            continuing_ = body < count;
            return static_cast<ssize_t>(body);
        }
    }
    const iovec one{const_cast<void*>(buf), count};
    const ssize_t n = calls_.writev(fd_, &one, 1);
    continuing_ = n >= 0 && static_cast<std::size_t>(n) < count;
    return n;
}

bool ChannelStream::only_channel_polled(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
                                        const timeval* timeout) const
{
    if (timeout == nullptr || timeout->tv_sec != 0 || timeout->tv_usec != 0 || nfds != fd_ + 1)
        return false;
    for (int fd = 0; fd < nfds; ++fd)
        if ((fd != fd_ && FD_ISSET(fd, readfds)) || (writefds && FD_ISSET(fd, writefds)) ||
            (exceptfds && FD_ISSET(fd, exceptfds)))
            return false;
    return true;
}

int ChannelStream::select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds, timeval* timeout)
{
    if (!flush())
        return -1;
    const bool alone = only_channel_polled(nfds, readfds, writefds, exceptfds, timeout);
    if (start_ < end_) {
        if (alone)
            return 1;   // readfds holds just the channel, as it should on return
        // Report the buffered channel together with whatever else is ready now.
        FD_CLR(fd_, readfds);
        timeval now{0, 0};
        const int others = calls_.select(nfds, readfds, writefds, exceptfds, &now);
        if (others < 0)
            return -1;
        FD_SET(fd_, readfds);
        return others + 1;
    }
    // A cancellation the library sent waits a few chunks longer to be seen;
    // the library reads and discards chunks until it is (libguestfs proto.c).
    if (alone && ++skipped_checks_ % cancel_check_period != 0) {
        FD_CLR(fd_, readfds);
        return 0;
    }
    return calls_.select(nfds, readfds, writefds, exceptfds, timeout);
}

} // namespace guestuml::channel_io
