// PID 1 of the channel test guest (static). Loads virtio_console, finds the
// port by its sysfs name and, by the kernel parameter chmode=, either
//   echo   - sends back chbytes bytes as they come,
//   sink   - reads chbytes bytes of the test pattern, replies "<count> <errors>\n",
//   source - writes chbytes bytes of the test pattern,
// with chio=vector: readv/writev of many page-sized pieces per system call
// (each guest system call costs ~0.3 ms under UML here, and virtio_console
// returns at most one 4 KiB buffer per read()),
// then waits for one byte from the host (everything arrived) and powers off.
#include "test_pattern.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/uio.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

[[noreturn]] void power_off()
{
    sync();
    reboot(RB_POWER_OFF);
    _exit(1);
}

[[noreturn]] void fail(const char* what)
{
    std::fprintf(stderr, "channel_guest: %s: %s\n", what, std::strerror(errno));
    power_off();
}

std::string read_file(const std::string& path)
{
    char buf[256];
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    std::string s(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!s.empty() && s.back() == '\n')
        s.pop_back();
    return s;
}

// /dev/vportNpM whose sysfs name is name; waits up to 20 s for it to appear.
std::string find_port(const char* name)
{
    for (int tries = 0; tries < 2000; ++tries) {
        if (DIR* dir = opendir("/sys/class/virtio-ports")) {
            while (dirent* e = readdir(dir)) {
                if (e->d_name[0] == '.')
                    continue;
                if (read_file(std::string("/sys/class/virtio-ports/") + e->d_name + "/name") == name) {
                    std::string dev = std::string("/dev/") + e->d_name;
                    closedir(dir);
                    return dev;
                }
            }
            closedir(dir);
        }
        usleep(10000);
    }
    errno = ENOENT;
    fail("no virtio port named org.libguestfs.channel.0");
}

void write_all(int fd, const unsigned char* p, std::size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                fail("write to port");
            pollfd pfd{fd, POLLOUT, 0};
            poll(&pfd, 1, -1);
            continue;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

// The port has no read_iter, so readv() calls read() once per piece and
// stops at the first short one; non-blocking, that is every buffer ready now.
ssize_t read_vector(int fd, unsigned char* p, std::size_t n)
{
    constexpr std::size_t kPiece = 4096;
    iovec iov[256];
    int count = 0;
    for (std::size_t off = 0; off < n && count < 256; off += kPiece, ++count)
        iov[count] = {p + off, std::min(kPiece, n - off)};
    while (true) {
        ssize_t r = readv(fd, iov, count);
        if (r >= 0 || errno != EAGAIN)
            return r;
        pollfd pfd{fd, POLLIN, 0};
        poll(&pfd, 1, -1);
    }
}

// Likewise writev() makes one 32 KiB write() per piece in a single call.
void write_vector(int fd, const unsigned char* p, std::size_t n)
{
    constexpr std::size_t kPiece = 32768;
    while (n > 0) {
        iovec iov[64];
        int count = 0;
        for (std::size_t off = 0; off < n && count < 64; off += kPiece, ++count)
            iov[count] = {const_cast<unsigned char*>(p) + off, std::min(kPiece, n - off)};
        ssize_t w = writev(fd, iov, count);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                fail("writev to port");
            pollfd pfd{fd, POLLOUT, 0};
            poll(&pfd, 1, -1);
            continue;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

} // namespace

int main()
{
    const char* mode = std::getenv("chmode");
    const char* bytes_text = std::getenv("chbytes");
    if (!mode || !bytes_text) {
        errno = EINVAL;
        fail("chmode= and chbytes= must be on the kernel command line");
    }
    const unsigned long long bytes = std::strtoull(bytes_text, nullptr, 10);
    const char* io = std::getenv("chio");
    const bool vector_io = io && std::strcmp(io, "vector") == 0;

    if (mount("sysfs", "/sys", "sysfs", 0, nullptr) != 0)
        fail("mount /sys");
    int ko = open("/virtio_console.ko", O_RDONLY | O_CLOEXEC);
    if (ko < 0 || syscall(SYS_finit_module, ko, "", 0) != 0)
        fail("loading virtio_console.ko");
    close(ko);

    std::string dev = find_port("org.libguestfs.channel.0");
    int port = open(dev.c_str(), O_RDWR | O_CLOEXEC | (vector_io ? O_NONBLOCK : 0));
    if (port < 0)
        fail("open port");

    const auto pattern = guestuml::channel_test::make_pattern();
    const std::size_t psize = guestuml::channel_test::kPatternSize;
    static unsigned char buf[1 << 20];
    unsigned long long done = 0;
    unsigned long long errors = 0;

    if (std::strcmp(mode, "echo") == 0 || std::strcmp(mode, "sink") == 0) {
        const bool echo = mode[0] == 'e';
        while (done < bytes) {
            ssize_t n = vector_io ? read_vector(port, buf, sizeof buf) : read(port, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                fail("read from port");
            if (echo) {
                write_all(port, buf, static_cast<std::size_t>(n));
            } else {
                for (ssize_t i = 0; i < n;) {
                    std::size_t at = (done + i) % psize;
                    std::size_t len = std::min<std::size_t>(psize - at, static_cast<std::size_t>(n - i));
                    if (std::memcmp(buf + i, pattern.data() + at, len) != 0)
                        ++errors;
                    i += static_cast<ssize_t>(len);
                }
            }
            done += static_cast<unsigned long long>(n);
        }
        if (!echo) {
            char reply[64];
            int len = std::snprintf(reply, sizeof reply, "%llu %llu\n", done, errors);
            write_all(port, reinterpret_cast<unsigned char*>(reply), static_cast<std::size_t>(len));
        }
    } else if (std::strcmp(mode, "source") == 0) {
        while (done < bytes) {
            std::size_t at = done % psize;
            std::size_t len = std::min<unsigned long long>(psize - at, bytes - done);
            if (vector_io)
                write_vector(port, pattern.data() + at, len);
            else
                write_all(port, pattern.data() + at, len);
            done += len;
        }
    } else {
        errno = EINVAL;
        fail("unknown chmode");
    }

    // Wait for the host to confirm it has everything, then leave.
    unsigned char ack;
    while (read(port, &ack, 1) < 0 && (errno == EINTR || errno == EAGAIN)) {
        pollfd pfd{port, POLLIN, 0};
        poll(&pfd, 1, -1);
    }
    power_off();
}
