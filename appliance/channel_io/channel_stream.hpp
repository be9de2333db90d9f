// guestfsd's end of its channel to the library, with fewer system calls per
// message: bytes are read ahead in one call and handed out to guestfsd's small
// reads, a 4-byte length word is held back to leave with the message it
// announces, and the chunks of a download leave sixteen at a time. Under UML each
// guest system call is a round trip through the host (docs/channel-io.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/select.h>
#include <sys/types.h>
#include <sys/uio.h>

namespace guestuml::channel_io {

// The system calls a stream makes: the C library's in guestfsd, fakes in tests.
struct SystemCalls {
    ssize_t (*read)(int, void*, std::size_t) = nullptr;
    ssize_t (*writev)(int, const iovec*, int) = nullptr;
    int (*select)(int, fd_set*, fd_set*, fd_set*, timeval*) = nullptr;
};

class ChannelStream {
public:
    // The most read ahead in one call: four of the kernel's 32 KiB receive
    // buffers (kernel patch 0002), and guestfsd reads messages of 4 MiB at most.
    static constexpr std::size_t read_ahead_size = 128 * 1024;
    // A zero-timeout select on the channel alone, guestfsd's check for a
    // cancellation between download chunks, is really made once in this many.
    static constexpr unsigned cancel_check_period = 16;
    // The most virtio_console's write() takes in one call: bytes go out in
    // parts of this size, each one port buffer, one kick and one interrupt.
    static constexpr std::size_t port_write_size = 32 * 1024;
    // A length word and a message up to this size are joined in one buffer
    // and go out in one writev: the kernel writes a vector to the port a part
    // at a time, all in one system call.
    static constexpr std::size_t joined_size = 4 * port_write_size;
    // The body of a download's full chunk: its cancel flag, the length of its
    // data and GUESTFS_MAX_CHUNK_SIZE bytes (guestfs_chunk in XDR). Such a
    // message is held, with the ones before it, until joined_size bytes are
    // there to send; any other message sends what is held, with itself.
    static constexpr std::uint32_t full_chunk_body = 4 + 4 + 8192;

    constexpr ChannelStream() = default;
    ChannelStream(const ChannelStream&) = delete;
    ChannelStream& operator=(const ChannelStream&) = delete;

    // From now on fd is the channel and its I/O goes through this stream.
    void attach(int fd, const SystemCalls& calls);
    // Forgets the channel and anything buffered, writing nothing (a fork's child).
    void detach();
    int fd() const { return attached_ ? fd_ : -1; }

    // read(2) on the channel; held-back bytes are written first.
    ssize_t read(void* buf, std::size_t count);
    // write(2) on the channel; a 4-byte write that starts a message returns at
    // once and goes out with the next, and a download's full chunk waits for
    // more to fill a buffer.
    ssize_t write(const void* buf, std::size_t count);
    // select(2) with the channel in readfds: data read ahead counts as readable.
    // Held bytes go out first, unless it is guestfsd's check for a cancellation
    // between two chunks.
    int select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds, timeval* timeout);
    // Writes held-back bytes now; false, with errno set, if that failed.
    bool flush();
    // A select(2) that is guestfsd's check for a cancellation between two
    // download chunks: the channel alone, in readfds, with a zero timeout.
    bool cancellation_check(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
                            const timeval* timeout) const;

private:
    // Forgets the first `sent` held bytes, which a write has sent.
    void drop_held(std::size_t sent);
    // One writev of the held bytes, then `count` of the caller's, in parts of
    // port_write_size at most.
    ssize_t write_parts(const void* buf, std::size_t count);
    // Holds a full chunk's body, sending each buffer it fills.
    ssize_t hold_chunk(const void* buf, std::size_t count);
    // Sends the held bytes and the caller's, joined; they fit in held_.
    ssize_t send_joined(const void* buf, std::size_t count);
    // Sends the held bytes and the caller's, which do not fit, side by side.
    ssize_t send_parts(const void* buf, std::size_t count);

    // All members start as zero bytes, so that a static stream and its buffer
    // take no room in the library's file.
    bool attached_ = false;
    int fd_ = 0;
    SystemCalls calls_{};
    std::size_t held_size_ = 0;
    // A length word is held and its body not yet written.
    bool in_body_ = false;
    std::uint32_t body_size_ = 0;   // that word's value
    // The last write was short: the caller is writing the rest of a message,
    // and a rest of 4 bytes is no length word.
    bool continuing_ = false;
    unsigned skipped_checks_ = 0;
    std::size_t start_ = 0, end_ = 0;   // unread bytes of ahead_
    unsigned char ahead_[read_ahead_size]{};
    unsigned char held_[joined_size]{};
};

} // namespace guestuml::channel_io
