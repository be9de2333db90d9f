#include "mapper_links.hpp"
#include "raw_syscalls.hpp"

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace guestuml::udevadm {

namespace {

// Paths here are short (a sysfs directory, a dm name of at most 127 bytes).
constexpr std::size_t path_max = 512;

// A path built in a fixed buffer; too long a path becomes empty, and every
// system call on an empty path fails harmlessly.
class Path {
public:
    Path& add(const char* text) noexcept
    {
        const std::size_t n = std::strlen(text);
        if (!overflow_ && used_ + n < sizeof buf_) {
            std::memcpy(buf_ + used_, text, n);
            used_ += n;
        } else {
            overflow_ = true;
        }
        buf_[overflow_ ? 0 : used_] = '\0';
        return *this;
    }
    const char* c_str() const noexcept { return buf_; }

private:
    char buf_[path_max] = {};
    std::size_t used_ = 0;
    bool overflow_ = false;
};

using guestuml::preload::for_each_entry;
using guestuml::preload::sys_close;
using guestuml::preload::sys_open;

// The first line of a small file, without its newline; empty on any failure.
void read_line(const char* path, char* out, std::size_t size) noexcept
{
    out[0] = '\0';
    const int fd = sys_open(path, O_RDONLY);
    if (fd < 0)
        return;
    const long n = guestuml::preload::sys_read(fd, out, size - 1);
    sys_close(fd);
    if (n <= 0)
        return;
    out[n] = '\0';
    if (char* nl = std::strchr(out, '\n'))
        *nl = '\0';
}

bool parse_device(const char* text, unsigned& major, unsigned& minor) noexcept
{
    unsigned* field = &major;
    major = minor = 0;
    bool digits = false;
    for (const char* p = text; *p; ++p) {
        if (*p >= '0' && *p <= '9') {
            *field = *field * 10 + static_cast<unsigned>(*p - '0');
            digits = true;
        } else if (*p == ':' && field == &major && digits) {
            field = &minor;
            digits = false;
        } else {
            return false;
        }
    }
    return field == &minor && digits;
}

void link_device(const char* sys_block, const char* dev_dir, const char* dm) noexcept
{
    char name[256];
    char numbers[64];
    read_line(Path().add(sys_block).add("/").add(dm).add("/dm/name").c_str(), name, sizeof name);
    read_line(Path().add(sys_block).add("/").add(dm).add("/dev").c_str(), numbers, sizeof numbers);
    unsigned major = 0, minor = 0;
    if (name[0] == '\0' || std::strchr(name, '/') != nullptr || !parse_device(numbers, major, minor))
        return;
    const Path node = Path().add(dev_dir).add("/").add(dm);
    const Path link = Path().add(dev_dir).add("/mapper/").add(name);
    struct stat st;
    if (::lstat(node.c_str(), &st) != 0)
        ::mknod(node.c_str(), S_IFBLK | 0600, ::makedev(major, minor));
    if (::lstat(link.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
        return;
    const Path temp = Path().add(dev_dir).add("/mapper/.guestuml-").add(name);
    ::unlink(temp.c_str());
    if (::symlink(Path().add("../").add(dm).c_str(), temp.c_str()) == 0 && ::rename(temp.c_str(), link.c_str()) != 0)
        ::unlink(temp.c_str());
}

} // namespace

void make_mapper_links(const char* sys_block, const char* dev_dir) noexcept
{
    ::mkdir(Path().add(dev_dir).add("/mapper").c_str(), 0755);
    for_each_entry(sys_block, [&](const char* entry) {
        if (std::strncmp(entry, "dm-", 3) == 0)
            link_device(sys_block, dev_dir, entry);
    });
    // A link whose dm-N is gone (device removed while libdevmapper was not
    // told to remove our link) would make guestfsd list a device that is not there.
    const Path mapper = Path().add(dev_dir).add("/mapper");
    for_each_entry(mapper.c_str(), [&](const char* entry) {
        const Path link = Path().add(mapper.c_str()).add("/").add(entry);
        struct stat st;
        if (::lstat(link.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && ::stat(link.c_str(), &st) != 0)
            ::unlink(link.c_str());
    });
}

bool is_settle(const char* const argv[]) noexcept
{
    if (argv == nullptr || argv[0] == nullptr)
        return false;
    for (int i = 1; argv[i] != nullptr; ++i)
        if (std::strcmp(argv[i], "settle") == 0)
            return true;
    return false;
}

} // namespace guestuml::udevadm
