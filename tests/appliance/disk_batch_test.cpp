// guestuml-channel-io.so's DiskBatch on real files, with the C library's
// calls counted: a download's 8 KiB reads served from batch-sized ones, an
// upload's 8 KiB writes gathered into batch-sized ones, the file offset given back
// when guestfsd does anything else (and no batching after that), write errors
// reported late but reported, and descriptors the batch must leave alone.
#define CATCH_CONFIG_MAIN
#include "disk_batch.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using guestuml::channel_io::DiskBatch;
using guestuml::channel_io::DiskCalls;

namespace {

struct Counts {
    int reads = 0, writes = 0, lseeks = 0, fstats = 0, opens = 0, closes = 0, preads = 0, pwrites = 0;
    std::size_t largest_read = 0, largest_write = 0;
    int fail_writes_with = 0;   // nonzero: every write fails with this errno
    bool refuse_direct = false;   // preads and pwrites fail with EINVAL
};
Counts& counts()
{
    static Counts c;
    return c;
}

ssize_t counted_read(int fd, void* buf, std::size_t n)
{
    ++counts().reads;
    counts().largest_read = std::max(counts().largest_read, n);
    return ::read(fd, buf, n);
}

ssize_t counted_write(int fd, const void* buf, std::size_t n)
{
    ++counts().writes;
    counts().largest_write = std::max(counts().largest_write, n);
    if (counts().fail_writes_with != 0) {
        errno = counts().fail_writes_with;
        return -1;
    }
    return ::write(fd, buf, n);
}

off_t counted_lseek(int fd, off_t offset, int whence)
{
    ++counts().lseeks;
    return ::lseek(fd, offset, whence);
}

int counted_fstat(int fd, struct stat* st)
{
    ++counts().fstats;
    return ::fstat(fd, st);
}

// A regular file that says it is a block device, for the direct I/O path.
int block_fstat(int fd, struct stat* st)
{
    const int r = counted_fstat(fd, st);
    st->st_mode = S_IFBLK | 0600;
    return r;
}

// The reopening for direct I/O, without O_DIRECT, which tmpfs may refuse.
int counted_open(const char* path, int flags, ...)
{
    ++counts().opens;
    return ::open(path, flags & ~O_DIRECT);
}

int counted_close(int fd)
{
    ++counts().closes;
    return ::close(fd);
}

ssize_t counted_pread(int fd, void* buf, std::size_t n, off_t offset)
{
    ++counts().preads;
    if (counts().refuse_direct) {
        errno = EINVAL;
        return -1;
    }
    return ::pread(fd, buf, n, offset);
}

ssize_t counted_pwrite(int fd, const void* buf, std::size_t n, off_t offset)
{
    ++counts().pwrites;
    if (counts().refuse_direct) {
        errno = EINVAL;
        return -1;
    }
    return ::pwrite(fd, buf, n, offset);
}

constexpr std::size_t chunk = DiskBatch::chunk_size;
// guestfsd's chunks in one batch.
constexpr std::size_t batch_chunks = DiskBatch::batch_size / chunk;

std::string pattern(std::size_t size)
{
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        s[i] = char((i * 7 + i / 4096) & 0xff);
    return s;
}

// A temporary directory and a batch wired to the counted calls.
struct Fixture {
    std::string dir;
    std::unique_ptr<DiskBatch> batch = std::make_unique<DiskBatch>();
    Fixture()
    {
        char templ[] = "/tmp/guestuml-disk-batch-XXXXXX";
        REQUIRE(::mkdtemp(templ) != nullptr);
        dir = templ;
        counts() = {};
        batch->set_calls(DiskCalls{counted_read, counted_write, counted_lseek, counted_fstat, counted_open,
                                   counted_close, counted_pread, counted_pwrite});
    }
    // Files from now on pass for block devices.
    void as_block_devices() const
    {
        batch->set_calls(DiskCalls{counted_read, counted_write, counted_lseek, block_fstat, counted_open,
                                   counted_close, counted_pread, counted_pwrite});
    }
    ~Fixture() { (void)std::system(("rm -rf '" + dir + "'").c_str()); }
    std::string file(const std::string& contents) const
    {
        const std::string path = dir + "/file";
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, contents.data(), contents.size()) == ssize_t(contents.size()));
        ::close(fd);
        return path;
    }
    // Opened with `flags`, and shown to the batch as opened with `claimed`
    // (O_DIRECT, which tmpfs may refuse, is only claimed).
    int open(const std::string& path, int flags, int claimed = -1) const
    {
        const int fd = ::open(path.c_str(), flags, 0600);
        REQUIRE(fd >= 0);
        batch->opened(fd, claimed == -1 ? flags : claimed);
        return fd;
    }
    // read(2) as the preload makes it: the batch's, or the C library's.
    ssize_t read(int fd, void* buf, std::size_t n) const
    {
        if (const auto r = batch->read(fd, buf, n))
            return *r;
        return ::read(fd, buf, n);
    }
    ssize_t write(int fd, const void* buf, std::size_t n) const
    {
        if (const auto r = batch->write(fd, buf, n))
            return *r;
        return ::write(fd, buf, n);
    }
    std::string read_to_end(int fd, std::size_t n) const
    {
        std::string out;
        std::string buf(n, '\0');
        ssize_t r;
        while ((r = read(fd, buf.data(), n)) > 0)
            out.append(buf.data(), std::size_t(r));
        REQUIRE(r == 0);
        return out;
    }
    int close(int fd) const
    {
        const int error = batch->closing(fd);
        REQUIRE(::close(fd) == 0);
        return error;
    }
};

std::string file_contents(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    std::string out, buf(65536, '\0');
    ssize_t r;
    while ((r = ::read(fd, buf.data(), buf.size())) > 0)
        out.append(buf.data(), std::size_t(r));
    ::close(fd);
    return out;
}

} // namespace

TEST_CASE("a download's 8 KiB reads are served from batch-sized ones")
{
    Fixture f;
    const std::string data = pattern(2 * DiskBatch::batch_size + 44 * 1024 + 123);
    const int fd = f.open(f.file(data), O_RDONLY | O_CLOEXEC);
    CHECK(f.read_to_end(fd, chunk) == data);
    // Three reads with data, one at the end of the file; one fstat.
    CHECK(counts().reads == 4);
    CHECK(counts().largest_read == DiskBatch::batch_size);
    CHECK(counts().fstats == 1);
    CHECK_FALSE(f.batch->busy());
    CHECK(f.close(fd) == 0);
    CHECK(counts().lseeks == 0);
}

TEST_CASE("reading ahead: the file offset is given back when guestfsd does anything else")
{
    Fixture f;
    const std::string data = pattern(DiskBatch::batch_size + 72 * 1024);
    const int fd = f.open(f.file(data), O_RDONLY | O_CLOEXEC);
    std::string got(3 * chunk, '\0');
    CHECK(f.read(fd, got.data(), chunk) == ssize_t(chunk));
    CHECK(f.read(fd, got.data() + chunk, chunk) == ssize_t(chunk));
    CHECK(f.batch->busy());
    CHECK(::lseek(fd, 0, SEEK_CUR) == off_t(DiskBatch::batch_size));
    f.batch->settle();
    CHECK(::lseek(fd, 0, SEEK_CUR) == off_t(2 * chunk));
    CHECK_FALSE(f.batch->busy());
    // Settled while busy: this is no transfer's loop, and reads go to the file.
    CHECK(f.read(fd, got.data() + 2 * chunk, chunk) == ssize_t(chunk));
    CHECK(counts().reads == 1);
    CHECK(got == data.substr(0, 3 * chunk));
    CHECK(f.close(fd) == 0);
}

TEST_CASE("reading ahead: reads of other sizes take what is read ahead; a dup gives the offset back")
{
    Fixture f;
    const std::string data = pattern(200 * 1024);
    const int fd = f.open(f.file(data), O_RDONLY | O_CLOEXEC);
    std::string got(2 * chunk, '\0');
    CHECK(f.read(fd, got.data(), chunk) == ssize_t(chunk));
    CHECK(f.read(fd, got.data() + chunk, 100) == 100);
    CHECK(counts().reads == 1);
    CHECK(got.substr(0, chunk + 100) == data.substr(0, chunk + 100));
    f.batch->duplicating(fd);
    CHECK(::lseek(fd, 0, SEEK_CUR) == off_t(chunk + 100));
    CHECK(f.read(fd, got.data(), chunk) == ssize_t(chunk));
    CHECK(counts().reads == 1);   // the C library's own read, not counted
    CHECK(got.substr(0, chunk) == data.substr(chunk + 100, chunk));
    CHECK(f.close(fd) == 0);
}

TEST_CASE("a read-ahead that ends the file")
{
    Fixture f;
    const std::string data = pattern(chunk + 10);
    const int fd = f.open(f.file(data), O_RDONLY | O_CLOEXEC);
    std::string got(chunk, '\0');
    CHECK(f.read(fd, got.data(), chunk) == ssize_t(chunk));
    CHECK(f.read(fd, got.data(), chunk) == 10);
    CHECK(got.substr(0, 10) == data.substr(chunk));
    CHECK(f.read(fd, got.data(), chunk) == 0);
    CHECK(counts().reads == 2);
    CHECK(f.close(fd) == 0);
}

TEST_CASE("an upload's 8 KiB writes leave a batch at a time")
{
    Fixture f;
    const std::string data = pattern((batch_chunks + 4) * chunk);
    const std::string path = f.dir + "/up";
    const int fd = f.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC);
    for (std::size_t i = 0; i < batch_chunks + 4; ++i)
        CHECK(f.write(fd, data.data() + i * chunk, chunk) == ssize_t(chunk));
    CHECK(counts().writes == 1);
    CHECK(counts().largest_write == DiskBatch::batch_size);
    CHECK(file_contents(path) == data.substr(0, DiskBatch::batch_size));
    SECTION("close writes the rest")
    {
        CHECK(f.close(fd) == 0);
    }
    SECTION("settling writes the rest, and a write of another size follows it")
    {
        f.batch->settle();
        CHECK(file_contents(path) == data);
        CHECK(f.write(fd, "tail", 4) == 4);
        CHECK(f.close(fd) == 0);
        CHECK(file_contents(path) == data + "tail");
    }
    SECTION("a write of another size sends the held bytes before its own")
    {
        CHECK(f.write(fd, "tail", 4) == 4);
        CHECK(file_contents(path) == data + "tail");
        CHECK(f.close(fd) == 0);
    }
    CHECK(counts().writes == 2);
    CHECK(file_contents(path).substr(0, data.size()) == data);
}

TEST_CASE("a write error is reported, at the write that meets it or at close")
{
    Fixture f;
    const std::string data = pattern(DiskBatch::batch_size);
    const int fd = f.open(f.dir + "/up", O_WRONLY | O_CREAT | O_CLOEXEC);
    counts().fail_writes_with = ENOSPC;
    SECTION("the write that fills the batch")
    {
        for (std::size_t i = 0; i + 1 < DiskBatch::batch_size / chunk; ++i)
            CHECK(f.write(fd, data.data() + i * chunk, chunk) == ssize_t(chunk));
        errno = 0;
        CHECK(f.write(fd, data.data(), chunk) == -1);
        CHECK(errno == ENOSPC);
        CHECK(f.close(fd) == 0);   // reported once
    }
    SECTION("close")
    {
        CHECK(f.write(fd, data.data(), chunk) == ssize_t(chunk));
        CHECK(f.close(fd) == ENOSPC);
    }
    SECTION("settled by another call: the next write, and the batch kept for it")
    {
        CHECK(f.write(fd, data.data(), chunk) == ssize_t(chunk));
        errno = EINTR;
        f.batch->settle();
        CHECK(errno == EINTR);   // the other call's errno is left alone
        const int other = f.open(f.dir + "/other", O_WRONLY | O_CREAT | O_CLOEXEC);
        CHECK_FALSE(f.batch->holds(other));
        CHECK(f.write(fd, data.data(), chunk) == -1);
        CHECK(errno == ENOSPC);
        CHECK(f.close(other) == 0);
        CHECK(f.close(fd) == 0);
    }
}

TEST_CASE("descriptors the batch leaves alone")
{
    Fixture f;
    const std::string data = pattern(4 * chunk);
    const std::string path = f.file(data);
    std::string buf(chunk, '\0');
    SECTION("opened without O_CLOEXEC, read-write, for appending or direct I/O")
    {
        for (const int flags : {O_RDONLY, O_RDWR | O_CLOEXEC, O_WRONLY | O_APPEND | O_CLOEXEC,
                                O_WRONLY | O_SYNC | O_CLOEXEC, O_WRONLY | O_DSYNC | O_CLOEXEC,
                                O_RDONLY | O_DIRECT | O_CLOEXEC, O_RDONLY | O_PATH | O_CLOEXEC}) {
            const int fd = f.open(path, O_RDWR, flags);
            CHECK_FALSE(f.batch->holds(fd));
            CHECK_FALSE(f.batch->read(fd, buf.data(), chunk));
            CHECK_FALSE(f.batch->write(fd, buf.data(), chunk));
            CHECK(f.close(fd) == 0);
        }
        CHECK(counts().fstats == 0);
    }
    SECTION("not a regular file or block device")
    {
        const int fd = f.open("/dev/zero", O_RDONLY | O_CLOEXEC);
        CHECK(f.batch->holds(fd));
        CHECK_FALSE(f.batch->read(fd, buf.data(), chunk));
        CHECK_FALSE(f.batch->read(fd, buf.data(), chunk));
        CHECK(counts().fstats == 1);
        CHECK(f.close(fd) == 0);
        const int null = f.open("/dev/null", O_WRONLY | O_CLOEXEC);
        CHECK_FALSE(f.batch->write(null, buf.data(), chunk));
        CHECK(f.close(null) == 0);
    }
    SECTION("a read-only descriptor is not written through, nor a write-only one read")
    {
        const int fd = f.open(path, O_RDONLY | O_CLOEXEC);
        CHECK_FALSE(f.batch->write(fd, buf.data(), chunk));
        CHECK(f.close(fd) == 0);
        const int out = f.open(f.dir + "/out", O_WRONLY | O_CREAT | O_CLOEXEC);
        CHECK_FALSE(f.batch->read(out, buf.data(), chunk));
        CHECK(f.close(out) == 0);
    }
    SECTION("a fork's child forgets the batch without writing it")
    {
        const int fd = f.open(f.dir + "/up", O_WRONLY | O_CREAT | O_CLOEXEC);
        CHECK(f.write(fd, data.data(), chunk) == ssize_t(chunk));
        f.batch->forget();
        CHECK_FALSE(f.batch->busy());
        CHECK_FALSE(f.batch->holds(fd));
        REQUIRE(::close(fd) == 0);
        CHECK(counts().writes == 0);
        CHECK(file_contents(f.dir + "/up").empty());
    }
}

TEST_CASE("a block device's batches go around the page cache where they are aligned")
{
    Fixture f;
    f.as_block_devices();
    SECTION("a download")
    {
        const std::string data = pattern(2 * DiskBatch::batch_size + 44 * 1024 + 123);
        const int fd = f.open(f.file(data), O_RDONLY | O_CLOEXEC);
        std::string got(2 * chunk, '\0');
        CHECK(f.read(fd, got.data(), chunk) == ssize_t(chunk));
        CHECK(f.read(fd, got.data() + chunk, chunk) == ssize_t(chunk));
        CHECK(got == data.substr(0, 2 * chunk));
        CHECK(counts().opens == 1);
        CHECK(counts().preads == 1);
        CHECK(::lseek(fd, 0, SEEK_CUR) == 0);   // direct reads leave it
        CHECK(f.batch->busy());
        f.batch->settle();
        CHECK(::lseek(fd, 0, SEEK_CUR) == off_t(2 * chunk));
        CHECK(f.close(fd) == 0);
        CHECK(counts().closes == 1);

        const int again = f.open(f.dir + "/file", O_RDONLY | O_CLOEXEC);
        CHECK(f.read_to_end(again, chunk) == data);
        // Two batches and 44 KiB and 123 bytes directly; at the unaligned end the
        // descriptor reads, from where the direct reads left off.
        CHECK(counts().preads == 1 + 3);
        CHECK(counts().reads == 1);
        CHECK(f.close(again) == 0);
    }
    SECTION("an upload, and a write of another size after it")
    {
        const std::string data = pattern((batch_chunks + 4) * chunk);
        const std::string path = f.dir + "/up";
        const int fd = f.open(path, O_WRONLY | O_CREAT | O_CLOEXEC);
        for (std::size_t i = 0; i < batch_chunks + 4; ++i)
            CHECK(f.write(fd, data.data() + i * chunk, chunk) == ssize_t(chunk));
        CHECK(counts().pwrites == 1);
        CHECK(::lseek(fd, 0, SEEK_CUR) == 0);
        CHECK(f.write(fd, "tail", 4) == 4);
        CHECK(counts().pwrites == 2);
        CHECK(counts().writes == 0);
        CHECK(f.close(fd) == 0);
        CHECK(file_contents(path) == data + "tail");
    }
    SECTION("an upload at an unaligned offset goes through the descriptor")
    {
        const std::string data = pattern(batch_chunks * chunk);
        const std::string path = f.file("0123456789");
        const int fd = f.open(path, O_WRONLY | O_CLOEXEC);
        REQUIRE(::lseek(fd, 10, SEEK_SET) == 10);
        for (std::size_t i = 0; i < batch_chunks; ++i)
            CHECK(f.write(fd, data.data() + i * chunk, chunk) == ssize_t(chunk));
        CHECK(counts().pwrites == 0);
        CHECK(counts().writes == 1);
        CHECK(::lseek(fd, 0, SEEK_CUR) == off_t(10 + data.size()));
        CHECK(f.close(fd) == 0);
        CHECK(file_contents(path) == "0123456789" + data);
    }
    SECTION("a device that refuses direct I/O is read and written through the descriptor")
    {
        counts().refuse_direct = true;
        const std::string data = pattern((batch_chunks + 8) * chunk);
        const std::string path = f.file(data);
        const int in = f.open(path, O_RDONLY | O_CLOEXEC);
        CHECK(f.read_to_end(in, chunk) == data);
        CHECK(counts().preads == 1);
        CHECK(f.close(in) == 0);
        const int out = f.open(path, O_WRONLY | O_CLOEXEC);
        REQUIRE(::lseek(out, 4096, SEEK_SET) == 4096);
        const std::string more = pattern((batch_chunks + 1) * chunk + 5).substr(5);
        for (std::size_t i = 0; i < batch_chunks + 1; ++i)
            CHECK(f.write(out, more.data() + i * chunk, chunk) == ssize_t(chunk));
        CHECK(counts().pwrites == 1);
        CHECK(f.close(out) == 0);
        CHECK(file_contents(path) == data.substr(0, 4096) + more +
                                         data.substr(4096 + (batch_chunks + 1) * chunk));
    }
}
