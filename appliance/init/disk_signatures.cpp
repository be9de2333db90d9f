#include "disk_signatures.hpp"

#include "guestuml/unique_fd.hpp"
#include "lvm_facts.hpp"

#include <array>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace guestuml::init {

namespace {

constexpr std::uint32_t md_magic = 0xa92b4efc;

bool read_at(int fd, std::uint64_t offset, unsigned char* buf, size_t len)
{
    return ::pread(fd, buf, len, static_cast<off_t>(offset)) == static_cast<ssize_t>(len);
}

} // namespace

bool has_lvm_label(std::span<const unsigned char> head)
{
    return lvm::has_label(head.data(), head.size());
}

std::vector<std::uint64_t> md_superblock_offsets(std::uint64_t size_bytes)
{
    std::vector<std::uint64_t> offsets{0, 4096};
    if (size_bytes >= 8 * 1024)
        offsets.push_back((size_bytes - 8 * 1024) & ~std::uint64_t{4 * 1024 - 1});
    if (size_bytes >= 128 * 1024)
        offsets.push_back((size_bytes & ~std::uint64_t{64 * 1024 - 1}) - 64 * 1024);
    return offsets;
}

bool is_md_magic(std::span<const unsigned char> four_bytes)
{
    if (four_bytes.size() < 4)
        return false;
    const std::uint32_t value = static_cast<std::uint32_t>(four_bytes[0]) |
                                static_cast<std::uint32_t>(four_bytes[1]) << 8 |
                                static_cast<std::uint32_t>(four_bytes[2]) << 16 |
                                static_cast<std::uint32_t>(four_bytes[3]) << 24;
    return value == md_magic;
}

DiskSignatures probe_signatures(const std::string& device)
{
    DiskSignatures found;
    UniqueFd fd(::open(device.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return found;
    std::array<unsigned char, lvm::label_scan_bytes> head{};
    if (read_at(fd.get(), 0, head.data(), head.size()))
        found.lvm = has_lvm_label(head);
    std::uint64_t size = 0;
    if (::ioctl(fd.get(), BLKGETSIZE64, &size) == -1)
        size = 0;
    for (const std::uint64_t offset : md_superblock_offsets(size)) {
        std::array<unsigned char, 4> magic{};
        if (read_at(fd.get(), offset, magic.data(), magic.size()) && is_md_magic(magic)) {
            found.md = true;
            break;
        }
    }
    return found;
}

} // namespace guestuml::init
