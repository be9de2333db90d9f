// guestfsd lists logical volumes at every inspection (list_filesystems and
// inspect_os each run `lvm lvs`), and every run of lvm costs 55 to 90 ms under
// UML, nearly all of it lvm's own start. Without a physical volume every
// listing is empty, and a device is a physical volume only if one of its first
// four sectors carries an LVM2 label. So the child guestfsd forked to run lvm
// reads those sectors of every block device the kernel lists, and if none has
// a label it exits as lvm would: nothing on stdout, status 0.
//
// Whatever it cannot be sure of runs lvm: a command line other than
// guestfsd's fixed listings (a name to look up can fail, `pvs -a` lists
// devices that are not physical volumes), an lvm.conf other than
// guestuml-init's (lvm_set_filter rewrites it), a device it cannot read, a
// kernel list too long for its buffer.
#include "lvm_listing.hpp"

#include "lvm_facts.hpp"
#include "raw_syscalls.hpp"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace guestuml::vfork {
namespace {

using preload::RawFd;
using preload::sys_open;
using preload::sys_pread;
using preload::sys_read;

// guestfsd 1.48's listings, exactly (daemon/lvm.ml's lvs, with and without
// -S; daemon/lvm.c's pvs and vgs). Real lvm, with no physical volume,
// prints nothing for each and exits 0 (tests/plugin/listings_test.cpp).
constexpr const char* listings[][10] = {
    {"lvm", "lvs", "-o", "vg_name,lv_name", "-S", "lv_role=public && lv_skip_activation!=yes", "--noheadings",
     "--separator", "/", nullptr},
    {"lvm", "lvs", "-o", "lv_attr,vg_name,lv_name", "--noheadings", "--separator", ":", nullptr},
    {"lvm", "pvs", "-o", "pv_name", "--noheadings", nullptr},
    {"lvm", "vgs", "-o", "vg_name", "--noheadings", nullptr},
};

bool is_listing(const char* const argv[]) noexcept
{
    for (const auto& listing : listings) {
        std::size_t i = 0;
        while (listing[i] != nullptr && argv[i] != nullptr && std::strcmp(listing[i], argv[i]) == 0)
            ++i;
        if (listing[i] == nullptr && argv[i] == nullptr)
            return true;
    }
    return false;
}

// All of a small file in buf; -1 if it cannot be read or fills buf.
long read_small_file(const char* path, char* buf, std::size_t size) noexcept
{
    const RawFd fd(sys_open(path, O_RDONLY));
    if (!fd)
        return -1;
    std::size_t used = 0;
    while (used < size) {
        const long n = sys_read(fd.get(), buf + used, size - used);
        if (n < 0)
            return -1;
        if (n == 0)
            return static_cast<long>(used);
        used += static_cast<std::size_t>(n);
    }
    return -1;
}

// lvm reads $LVM_SYSTEM_DIR/lvm.conf, and lvmlocal.conf beside it if present.
bool config_is_inits() noexcept
{
    const char* dir = std::getenv("LVM_SYSTEM_DIR");
    if (dir == nullptr || std::strcmp(dir, lvm::system_dir) != 0)
        return false;
    constexpr std::size_t path_size = sizeof lvm::system_dir + sizeof "/lvmlocal.conf";
    char path[path_size];
    std::memcpy(path, lvm::system_dir, sizeof lvm::system_dir);
    std::strcat(path, "/lvmlocal.conf");
    if (::access(path, F_OK) == 0)
        return false;
    std::memcpy(path, lvm::system_dir, sizeof lvm::system_dir);
    std::strcat(path, "/lvm.conf");
    char text[sizeof lvm::appliance_config + 1];
    const long n = read_small_file(path, text, sizeof text);
    return n == static_cast<long>(sizeof lvm::appliance_config - 1) &&
           std::memcmp(text, lvm::appliance_config, sizeof lvm::appliance_config - 1) == 0;
}

// True only if /dev/NAME is the block device major:minor, can be read, and
// carries no LVM label. /proc/partitions writes a '/' in a name as '!'. The
// read bypasses the page cache, as lvm's own does: a label written through
// another device node (the whole disk, for a partition) leaves this node's
// cached copy stale.
bool device_has_no_label(const char* name, std::size_t length, unsigned major, unsigned minor) noexcept
{
    char path[128] = "/dev/";
    constexpr std::size_t prefix = sizeof "/dev/" - 1;
    if (length == 0 || prefix + length >= sizeof path)
        return false;
    for (std::size_t i = 0; i < length; ++i)
        path[prefix + i] = name[i] == '!' ? '/' : name[i];
    path[prefix + length] = '\0';
    const RawFd fd(sys_open(path, O_RDONLY | O_NOCTTY | O_DIRECT));
    struct stat st;
    if (!fd || preload::sys_fstat(fd.get(), &st) != 0 || !S_ISBLK(st.st_mode) ||
        st.st_rdev != ::makedev(major, minor))
        return false;
    // O_DIRECT wants the buffer, offset and length aligned to the logical
    // block size, at most 4096 here.
    alignas(4096) unsigned char head[4096];
    static_assert(sizeof head >= lvm::label_scan_bytes);
    const long n = sys_pread(fd.get(), head, sizeof head, 0);
    // A device shorter than the four sectors is too small for a physical volume.
    return n >= 0 && !lvm::has_label(head, static_cast<std::size_t>(n));
}

// A decimal field of /proc/partitions.
bool parse_unsigned(const char* text, std::size_t length, unsigned& value) noexcept
{
    if (length == 0 || length > 9)
        return false;
    value = 0;
    for (std::size_t i = 0; i < length; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        value = value * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return true;
}

// /proc/partitions: a heading line, a blank line, then "major minor blocks
// name" for every block device and partition, device-mapper and MD devices
// included.
bool no_device_has_label() noexcept
{
    char table[8192];
    const long size = read_small_file("/proc/partitions", table, sizeof table);
    if (size <= 0)
        return false;
    const char* line = table;
    const char* const end = table + size;
    bool heading = true;
    while (line < end) {
        const char* eol = static_cast<const char*>(std::memchr(line, '\n', static_cast<std::size_t>(end - line)));
        if (eol == nullptr)
            eol = end;
        const char* field[5] = {};
        std::size_t length[5] = {};
        std::size_t fields = 0;
        for (const char* p = line; p < eol && fields < 5;) {
            while (p < eol && (*p == ' ' || *p == '\t'))
                ++p;
            if (p == eol)
                break;
            field[fields] = p;
            while (p < eol && *p != ' ' && *p != '\t')
                ++p;
            length[fields] = static_cast<std::size_t>(p - field[fields]);
            ++fields;
        }
        if (!heading && fields != 0) {
            unsigned major = 0;
            unsigned minor = 0;
            if (fields != 4 || !parse_unsigned(field[0], length[0], major) ||
                !parse_unsigned(field[1], length[1], minor) ||
                !device_has_no_label(field[3], length[3], major, minor))
                return false;
        }
        heading = false;
        line = eol + 1;
    }
    return true;
}

} // namespace

bool lvm_listing_is_empty(const char* const argv[]) noexcept
{
    return is_listing(argv) && config_is_inits() && no_device_has_label();
}

} // namespace guestuml::vfork
