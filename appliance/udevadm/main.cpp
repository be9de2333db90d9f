// udevadm shim for the guestuml appliance. There is no udevd to wait for, and
// guestfsd runs "udevadm settle" dozens of times per request, so settle returns
// at once; every other use goes to the real udevadm.
//
// One thing udev did that guestfsd relies on after settle: device-mapper nodes
// under /dev/mapper. LVM makes its own (udev_rules = 0), cryptsetup does not,
// so settle creates any that are missing from sysfs, with syscalls only.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

std::string read_line(const std::string& path)
{
    std::string text;
    if (std::FILE* f = std::fopen(path.c_str(), "re")) {
        char buf[256];
        if (std::fgets(buf, sizeof buf, f))
            text = buf;
        std::fclose(f);
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

void make_missing_mapper_nodes()
{
    DIR* blocks = ::opendir("/sys/block");
    if (!blocks)
        return;
    ::mkdir("/dev/mapper", 0755);
    while (const dirent* entry = ::readdir(blocks)) {
        if (std::strncmp(entry->d_name, "dm-", 3) != 0)
            continue;
        const std::string sys = std::string("/sys/block/") + entry->d_name;
        const std::string name = read_line(sys + "/dm/name");
        unsigned major = 0, minor = 0;
        if (name.empty() || name.find('/') != std::string::npos ||
            std::sscanf(read_line(sys + "/dev").c_str(), "%u:%u", &major, &minor) != 2)
            continue;
        const std::string node = "/dev/mapper/" + name;
        struct stat st;
        if (::lstat(node.c_str(), &st) == 0)
            continue;
        ::mknod(node.c_str(), S_IFBLK | 0600, ::makedev(major, minor));
    }
    ::closedir(blocks);
}

} // namespace

int main(int argc, char* argv[])
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "settle") == 0) {
            make_missing_mapper_nodes();
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
