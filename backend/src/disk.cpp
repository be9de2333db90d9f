#include "guestuml/disk.hpp"

#include "guestuml/error.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace guestuml {

void validate_disk(const DiskSpec& disk)
{
    const std::string name = disk.path.string();
    if (name.empty())
        throw Error("disk: empty file name");
    struct stat st {};
    if (::stat(name.c_str(), &st) == -1)
        throw_errno(fmt::format("disk {}", name));
    if (S_ISDIR(st.st_mode))
        throw Error(fmt::format("disk {}: is a directory, not a disk image", name));
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        throw Error(fmt::format("disk {}: not a regular file or block device", name));
    if (::access(name.c_str(), R_OK) == -1)
        throw_errno(fmt::format("disk {}: cannot read", name));
    if (!disk.read_only && ::access(name.c_str(), W_OK) == -1)
        throw_errno(fmt::format("disk {}: cannot open for writing (add it read-only?)", name));
}

} // namespace guestuml
