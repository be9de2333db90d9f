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
// LUKS device fails. So settle makes udev's links from sysfs, syscalls only.
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

// /dev/mapper/NAME -> ../dm-N for every device-mapper device in sysfs; a node
// libdevmapper made is replaced atomically (rename over it). devtmpfs makes
// /dev/dm-N itself.
void make_mapper_links()
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
        const std::string kernel_node = std::string("/dev/") + entry->d_name;
        const std::string link = "/dev/mapper/" + name;
        const std::string target = std::string("../") + entry->d_name;
        struct stat st;
        if (::lstat(kernel_node.c_str(), &st) != 0)
            ::mknod(kernel_node.c_str(), S_IFBLK | 0600, ::makedev(major, minor));
        if (::lstat(link.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
            continue;
        const std::string temp = "/dev/mapper/.guestuml-" + name;
        ::unlink(temp.c_str());
        if (::symlink(target.c_str(), temp.c_str()) == 0 && ::rename(temp.c_str(), link.c_str()) != 0)
            ::unlink(temp.c_str());
    }
    ::closedir(blocks);

    // A link whose dm-N is gone (device removed while libdevmapper was not
    // told to remove our link) would make guestfsd list a device that is not there.
    if (DIR* mapper = ::opendir("/dev/mapper")) {
        while (const dirent* entry = ::readdir(mapper)) {
            const std::string link = std::string("/dev/mapper/") + entry->d_name;
            struct stat st;
            if (::lstat(link.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && ::stat(link.c_str(), &st) != 0)
                ::unlink(link.c_str());
        }
        ::closedir(mapper);
    }
}

} // namespace

int main(int argc, char* argv[])
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "settle") == 0) {
            make_mapper_links();
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
