// guestfsd lists /dev/disk/by-path with `ls -1v` at its start (device name
// translation) and in every list_devices, three more times in an inspection:
// each a start of ls, about 10 ms under UML. There is no udev in the
// appliance: guestuml-init makes those links itself, virtio-uml-N for disk N
// and virtio-uml-N-partM for its partitions (appliance/init/disk_links.cpp).
// For names of just that form, ls's version sort is the order of (N, M), the
// disk before its partitions: "virtio-uml-2" < "virtio-uml-2-part1" <
// "virtio-uml-2-part10" < "virtio-uml-10". So the child guestfsd forked writes
// the listing itself when every entry has that form, and runs ls otherwise.
#include "by_path_listing.hpp"

#include "raw_syscalls.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <unistd.h>

namespace guestuml::vfork {
namespace {

constexpr char by_path_dir[] = "/dev/disk/by-path";
constexpr char prefix[] = "virtio-uml-";
constexpr char part_marker[] = "-part";
// guestuml-init's disks and partitions number far fewer; more, and ls runs.
constexpr std::size_t max_links = 256;

struct Link {
    std::uint32_t disk;
    std::uint32_t partition;   // 0 for the disk itself
};

// A decimal number as ls -v compares it: no leading zero, at most 9 digits.
const char* parse_number(const char* p, std::uint32_t& value) noexcept
{
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
        return nullptr;
    value = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; ++p) {
        if (++digits > 9)
            return nullptr;
        value = value * 10 + static_cast<std::uint32_t>(*p - '0');
    }
    return p;
}

bool parse_link(const char* name, Link& link) noexcept
{
    if (std::strncmp(name, prefix, sizeof prefix - 1) != 0)
        return false;
    const char* p = parse_number(name + sizeof prefix - 1, link.disk);
    if (p == nullptr)
        return false;
    link.partition = 0;
    if (*p == '\0')
        return true;
    if (std::strncmp(p, part_marker, sizeof part_marker - 1) != 0)
        return false;
    p = parse_number(p + sizeof part_marker - 1, link.partition);
    return p != nullptr && *p == '\0' && link.partition != 0;
}

bool before(const Link& a, const Link& b) noexcept
{
    return a.disk != b.disk ? a.disk < b.disk : a.partition < b.partition;
}

// "virtio-uml-N[-partM]\n" into out; returns the characters written.
std::size_t format_link(const Link& link, char* out) noexcept
{
    const auto put_number = [](std::uint32_t value, char* to) {
        char digits[10];
        std::size_t n = 0;
        do {
            digits[n++] = static_cast<char>('0' + value % 10);
            value /= 10;
        } while (value != 0);
        for (std::size_t i = 0; i < n; ++i)
            to[i] = digits[n - 1 - i];
        return n;
    };
    std::size_t used = sizeof prefix - 1;
    std::memcpy(out, prefix, used);
    used += put_number(link.disk, out + used);
    if (link.partition != 0) {
        std::memcpy(out + used, part_marker, sizeof part_marker - 1);
        used += sizeof part_marker - 1;
        used += put_number(link.partition, out + used);
    }
    out[used++] = '\n';
    return used;
}

bool write_all(int fd, const char* data, std::size_t size) noexcept
{
    while (size > 0) {
        const long n = preload::sys_write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace

int list_by_path(const char* const argv[]) noexcept
{
    if (argv[0] == nullptr || std::strcmp(argv[0], "ls") != 0 || argv[1] == nullptr ||
        std::strcmp(argv[1], "-1v") != 0 || argv[2] == nullptr || std::strcmp(argv[2], by_path_dir) != 0 ||
        argv[3] != nullptr)
        return -1;
    return write_by_path_listing(by_path_dir, STDOUT_FILENO);
}

int write_by_path_listing(const char* dir, int out_fd) noexcept
{
    Link links[max_links];
    std::size_t count = 0;
    bool ours = true;
    const bool read = preload::for_each_entry(dir, [&](const char* name) {
        Link link{};
        if (!ours || count == max_links || !parse_link(name, link)) {
            ours = false;
            return;
        }
        // Insertion sort: a handful of links.
        std::size_t i = count++;
        for (; i > 0 && before(link, links[i - 1]); --i)
            links[i] = links[i - 1];
        links[i] = link;
    });
    if (!read || !ours)
        return -1;
    // Each line is at most 11 + 9 + 5 + 9 + 1 characters. guestfsd's C command
    // runner reads the pipe only after its vfork child has exec'd or exited,
    // so the whole listing must fit in the pipe: 64 KiB, guestfsd being root.
    char text[max_links * 40];
    static_assert(sizeof text <= 16384);
    std::size_t used = 0;
    for (std::size_t i = 0; i < count; ++i)
        used += format_link(links[i], text + used);
    // ls's status when it cannot write its output.
    return write_all(out_fd, text, used) ? 0 : 2;
}

} // namespace guestuml::vfork
