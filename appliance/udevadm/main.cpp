// udevadm shim for the guestuml appliance. There is no udevd to wait for, and
// guestfsd runs "udevadm settle" dozens of times per request, so settle returns
// at once; every other use goes to the real udevadm.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace {

// Where the real binary lives in the appliance (the builder moves it out of
// /usr/sbin, where this shim stands).
constexpr const char* real_udevadm[] = {"/usr/bin/udevadm", "/bin/udevadm", "/usr/lib/systemd/udevadm"};

bool is_this_program(const char* path)
{
    struct stat self, other;
    return ::stat("/proc/self/exe", &self) == 0 && ::stat(path, &other) == 0 &&
           self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

} // namespace

int main(int argc, char* argv[])
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "settle") == 0)
            return 0;
    for (const char* path : real_udevadm) {
        if (::access(path, X_OK) != 0 || is_this_program(path))
            continue;
        ::execv(path, argv);
        std::fprintf(stderr, "udevadm (guestuml shim): exec %s: %s\n", path, std::strerror(errno));
        return 127;
    }
    std::fprintf(stderr, "udevadm (guestuml shim): the real udevadm was not found\n");
    return 127;
}
