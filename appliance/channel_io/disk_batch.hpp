// The file side of guestfsd's bulk transfers, in fewer system calls: guestfsd
// reads the file or device it downloads 8 KiB at a time and writes the one it
// uploads to 8 KiB at a time (GUESTFS_MAX_CHUNK_SIZE). A DiskBatch reads
// 512 KiB ahead for the first and holds 512 KiB of writes for the second, for
// one descriptor at a time: the last one guestfsd opened by path that
// qualifies (docs/channel-io.md).
//
// The caller settles the batch before every other call guestfsd makes, except
// its I/O on the channel and its clock readings, so that whatever guestfsd
// does next sees the file as if each 8 KiB call had been made when asked.
#pragma once

#include <cstddef>
#include <optional>
#include <sys/stat.h>
#include <sys/types.h>

namespace guestuml::channel_io {

// The system calls a batch makes: the C library's in guestfsd, fakes in tests.
struct DiskCalls {
    ssize_t (*read)(int, void*, std::size_t) = nullptr;
    ssize_t (*write)(int, const void*, std::size_t) = nullptr;
    off_t (*lseek)(int, off_t, int) = nullptr;
    int (*fstat)(int, struct stat*) = nullptr;
    int (*open)(const char*, int, ...) = nullptr;
    int (*close)(int) = nullptr;
    ssize_t (*pread)(int, void*, std::size_t, off_t) = nullptr;
    ssize_t (*pwrite)(int, const void*, std::size_t, off_t) = nullptr;
};

class DiskBatch {
public:
    // guestfsd's chunk: only reads and writes of exactly this size start or
    // feed a batch.
    static constexpr std::size_t chunk_size = 8192;
    // Each batch on a block device is one guest system call and one disk
    // request, each a round trip through the host under UML: 512 KiB moved a
    // download half as fast again as 128 KiB (docs/channel-io.md).
    static constexpr std::size_t batch_size = 512 * 1024;
    // A block device's batches go around the guest's page cache (O_DIRECT)
    // where they start and end on this boundary: under UML each fresh page
    // of the page cache costs a host fault, and the disk's server reads and
    // writes the batch in guestfsd's memory, whose pages are warm.
    static constexpr off_t direct_alignment = 4096;

    constexpr DiskBatch() = default;
    DiskBatch(const DiskBatch&) = delete;
    DiskBatch& operator=(const DiskBatch&) = delete;

    void set_calls(const DiskCalls& calls) { calls_ = calls; }
    // guestfsd opened fd by path with these flags; the batch takes it over if
    // the flags qualify: read-only or write-only, close-on-exec (no child can
    // share its file offset), and none of O_APPEND, O_DIRECT, O_SYNC, O_PATH.
    // A descriptor whose write error is not yet reported keeps the batch.
    void opened(int fd, int flags);
    // fd is the batch's descriptor.
    bool holds(int fd) const { return has_fd_ && fd == fd_; }
    // read(2) or write(2) on fd. No value: not the batch's descriptor, or not
    // a call it takes; the caller makes the call itself.
    std::optional<ssize_t> read(int fd, void* buf, std::size_t count);
    std::optional<ssize_t> write(int fd, const void* buf, std::size_t count);
    // Anything is read ahead or held back, or the descriptor's file offset
    // is not where guestfsd left it (direct I/O does not move it).
    bool busy() const { return mode_ != Mode::idle || offset_apart_; }
    // Held writes reach the file (an error waits for the descriptor's next
    // write or close) and bytes read ahead are given back to the file offset.
    // A transfer's loop never needs this, so a descriptor settled while busy
    // is not batched again: copying between two files, for one, would
    // otherwise pay for a batch at every chunk.
    void settle();
    // fd is being closed or replaced: settled, and forgotten. Returns an
    // error not yet reported for it (0 if none), for close(2) to return.
    int closing(int fd);
    // fd is being duplicated: settled, and never batched again (the copy
    // would share its file offset).
    void duplicating(int fd);
    // Forgets everything without touching the file (a fork's child).
    void forget();

private:
    enum class Mode : unsigned char { idle, reading, writing };
    enum class Kind : unsigned char { unknown, file, block, other };

    // A regular file or a block device; other files (pipes, terminals) keep
    // their own sizes of reads and writes. One fstat per descriptor.
    bool batchable();
    // The next `length` bytes go by direct I/O at offset_. false: by the
    // descriptor itself, whose offset is then given back.
    bool direct(std::size_t length);
    // Moves the descriptor's file offset to where guestfsd's next call
    // expects it, `unread` bytes before the end of what was read.
    void give_offset_back(std::size_t unread);
    bool write_held();
    void reset(bool close_direct);

    // All members start as zero bytes, so that the static batch and its
    // buffer take no room in the library's file.
    DiskCalls calls_{};
    bool has_fd_ = false;
    int fd_ = 0;
    bool for_writing_ = false;
    Kind kind_ = Kind::unknown;
    Mode mode_ = Mode::idle;
    int deferred_error_ = 0;
    bool has_direct_fd_ = false;
    int direct_fd_ = 0;   // the device opened again with O_DIRECT
    bool direct_refused_ = false;
    // The descriptor's file offset is not offset_, where it would be had the
    // batch's direct reads and writes been made through it.
    bool offset_apart_ = false;
    off_t offset_ = 0;
    std::size_t start_ = 0, end_ = 0;   // reading: unread bytes; writing: held bytes [0, end_)
    alignas(4096) unsigned char buf_[batch_size]{};
};

} // namespace guestuml::channel_io
