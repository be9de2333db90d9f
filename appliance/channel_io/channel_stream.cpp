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
    in_body_ = false;
    body_size_ = 0;
    continuing_ = false;
    skipped_checks_ = 0;
    start_ = end_ = 0;
}

namespace {

// Splits bytes into parts of at most `part` bytes, appended to out[used..max);
// bytes that find no place are left for a later write.
void split(const void* buf, std::size_t count, std::size_t part, iovec* out, int& used, int max)
{
    auto* bytes = static_cast<unsigned char*>(const_cast<void*>(buf));
    for (std::size_t done = 0; done < count && used < max; done += part)
        out[used++] = {bytes + done, std::min(part, count - done)};
}

} // namespace

ssize_t ChannelStream::write_parts(const void* buf, std::size_t count)
{
    // Enough parts for the held bytes and as many of the caller's.
    constexpr int max_parts = 2 * joined_size / port_write_size;
    iovec parts[max_parts];
    int used = 0;
    split(held_, held_size_, port_write_size, parts, used, max_parts);
    split(buf, count, port_write_size, parts, used, max_parts);
    return calls_.writev(fd_, parts, used);
}

bool ChannelStream::flush()
{
    while (held_size_ > 0) {
        const ssize_t n = write_parts(nullptr, 0);
        if (n < 0)
            return false;
        drop_held(static_cast<std::size_t>(n));
    }
    // A word sent without a body was a flag: the next 4-byte write is a word again.
    in_body_ = false;
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
    if (count == sizeof body_size_ && !continuing_ && !in_body_) {
        if (held_size_ + count > joined_size && !flush())
            return -1;
        std::memcpy(held_ + held_size_, buf, count);
        held_size_ += count;
        in_body_ = true;
        const auto* word = static_cast<const unsigned char*>(buf);
        body_size_ = std::uint32_t{word[0]} << 24 | std::uint32_t{word[1]} << 16 | std::uint32_t{word[2]} << 8 | word[3];
        return static_cast<ssize_t>(count);
    }
    const bool was_in_body = in_body_;
    in_body_ = false;
    ssize_t n;
    if (was_in_body && count == body_size_ && body_size_ == full_chunk_body)
        n = hold_chunk(buf, count);
    else if (held_size_ + count <= joined_size)
        n = send_joined(buf, count);
    else
        n = send_parts(buf, count);
    if (n < 0)
        in_body_ = was_in_body;   // for the caller's retry
    return n;
}

ssize_t ChannelStream::hold_chunk(const void* buf, std::size_t count)
{
    // The library reads a byte stream, so a buffer may end inside a chunk:
    // sixteen chunks and their words are 192 bytes more than joined_size.
    const auto* bytes = static_cast<const unsigned char*>(buf);
    std::size_t done = 0;
    while (done < count) {
        const std::size_t take = std::min(count - done, joined_size - held_size_);
        std::memcpy(held_ + held_size_, bytes + done, take);
        held_size_ += take;
        done += take;
        if (held_size_ == joined_size && !flush()) {
            // Of the caller's bytes, those still held were not accepted.
            const std::size_t unsent = std::min(done, held_size_);
            held_size_ -= unsent;
            if (unsent == done)
                return -1;
            continuing_ = true;
            return static_cast<ssize_t>(done - unsent);
        }
    }
    continuing_ = false;
    return static_cast<ssize_t>(count);
}

ssize_t ChannelStream::send_joined(const void* buf, std::size_t count)
{
    // Each part of a writev is a port write of its own: a queued buffer, a
    // kick of the host and an interrupt back. Joined, small messages share them.
    std::memcpy(held_ + held_size_, buf, count);
    held_size_ += count;
    std::size_t unsent = count;   // the caller's bytes, at the end of held_
    while (held_size_ > 0) {
        const ssize_t n = write_parts(nullptr, 0);
        if (n < 0) {
            held_size_ -= unsent;   // not accepted: the caller writes them again
            if (unsent == count)
                return -1;
            continuing_ = true;
            return static_cast<ssize_t>(count - unsent);
        }
        const std::size_t older = held_size_ - unsent;
        if (static_cast<std::size_t>(n) > older)
            unsent -= static_cast<std::size_t>(n) - older;
        drop_held(static_cast<std::size_t>(n));
    }
    continuing_ = false;
    return static_cast<ssize_t>(count);
}

ssize_t ChannelStream::send_parts(const void* buf, std::size_t count)
{
    // Too large to join: held bytes and the caller's side by side in one
    // writev. The port takes what it can, and the caller writes the rest
    // (continuing_).
    while (held_size_ > 0) {
        const ssize_t n = write_parts(buf, count);
        if (n < 0)
            return -1;   // held bytes stay: the caller retries, or reads and flushes
        if (static_cast<std::size_t>(n) < held_size_) {
            drop_held(static_cast<std::size_t>(n));
            continue;
        }
        const std::size_t body = static_cast<std::size_t>(n) - held_size_;
        held_size_ = 0;
        if (body > 0) {
            continuing_ = body < count;
            return static_cast<ssize_t>(body);
        }
    }
    const ssize_t n = write_parts(buf, count);
    continuing_ = n >= 0 && static_cast<std::size_t>(n) < count;
    return n;
}

bool ChannelStream::cancellation_check(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
                                        const timeval* timeout) const
{
    if (!attached_ || readfds == nullptr || !FD_ISSET(fd_, readfds) || timeout == nullptr || timeout->tv_sec != 0 || timeout->tv_usec != 0 || nfds != fd_ + 1)
        return false;
    for (int fd = 0; fd < nfds; ++fd)
        if ((fd != fd_ && FD_ISSET(fd, readfds)) || (writefds && FD_ISSET(fd, writefds)) ||
            (exceptfds && FD_ISSET(fd, exceptfds)))
            return false;
    return true;
}

int ChannelStream::select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds, timeval* timeout)
{
    // The check between two chunks does not wait, so held chunks stay for
    // the next; a lone word (a flag) goes out.
    const bool alone = cancellation_check(nfds, readfds, writefds, exceptfds, timeout);
    if ((!alone || in_body_) && !flush())
        return -1;
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
