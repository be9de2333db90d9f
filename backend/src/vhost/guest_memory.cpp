#include "guest_memory.hpp"

#include "guestuml/error.hpp"

#include <fmt/format.h>
#include <sys/mman.h>

namespace guestuml::vhost {

void GuestMemory::map_region(std::uint64_t guest_addr, std::uint64_t user_addr, std::uint64_t size,
                             std::uint64_t mmap_offset, const UniqueFd& fd)
{
    if (size == 0 || size > UINT64_MAX - mmap_offset || guest_addr > UINT64_MAX - size ||
        user_addr > UINT64_MAX - size)
        throw Error(fmt::format("vhost-user: invalid memory region (guest {:#x}, size {:#x}, offset {:#x})",
                                guest_addr, size, mmap_offset));
    // Map from offset 0: mmap_offset need not be page-aligned.
    std::uint64_t total = mmap_offset + size;
    void* mapping = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (mapping == MAP_FAILED)
        throw_errno(fmt::format("vhost-user: mapping {:#x} bytes of guest memory (fd {})", total, fd.get()));
    std::shared_ptr<void> owner(mapping, [total](void* p) { ::munmap(p, total); });
    regions_.push_back(Region{guest_addr, user_addr, size, static_cast<std::byte*>(mapping) + mmap_offset,
                              std::move(owner)});
}

void GuestMemory::add_region(std::uint64_t guest_addr, std::uint64_t user_addr, std::span<std::byte> host)
{
    regions_.push_back(Region{guest_addr, user_addr, host.size(), host.data(), {}});
}

std::byte* GuestMemory::translate(std::uint64_t start, std::uint64_t addr, std::uint64_t len,
                                  const Region& region)
{
    if (addr < start)
        return nullptr;
    std::uint64_t offset = addr - start;
    if (offset >= region.size || len > region.size - offset)
        return nullptr;
    return region.host + offset;
}

std::byte* GuestMemory::at_guest(std::uint64_t addr, std::uint64_t len) const
{
    for (const Region& region : regions_)
        if (std::byte* p = translate(region.guest_addr, addr, len, region))
            return p;
    return nullptr;
}

std::byte* GuestMemory::at_user(std::uint64_t addr, std::uint64_t len) const
{
    for (const Region& region : regions_)
        if (std::byte* p = translate(region.user_addr, addr, len, region))
            return p;
    return nullptr;
}

} // namespace guestuml::vhost
