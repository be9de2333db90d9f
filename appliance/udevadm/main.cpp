// udevadm shim for the guestuml appliance. There is no udevd to wait for, and
// guestfsd runs "udevadm settle" dozens of times per request, so settle returns
// at once; every other use goes to the real udevadm.
//
// One thing udev did that guestfsd relies on after settle: the /dev/mapper
// layout. Without udev, libdevmapper (LVM with udev_rules = 0, cryptsetup)
// makes /dev/mapper/NAME a block node itself; udev makes it a symlink to
// ../dm-N. guestfsd depends on the link: list_filesystems takes the realpath of
// /dev/mapper/NAME and reads /sys/block/<that name minus /dev/>, so a plain node
// gives "/sys/block/mapper/NAME: No such file or directory" and inspection of a
// LUKS device fails. So settle makes udev's links from sysfs, syscalls only
// (mapper_links.cpp). guestfsd itself seldom runs this program for a settle:
// guestuml-vfork.so makes the links in guestfsd's child instead of the exec.
#include "mapper_links.hpp"

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
    if (argc > 0 && guestuml::udevadm::is_settle(argv)) {
        guestuml::udevadm::make_mapper_links();
        return 0;
    }
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
