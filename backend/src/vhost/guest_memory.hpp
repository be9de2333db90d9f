// The guest's memory as the device sees it: regions shared by the front end
// (SET_MEM_TABLE) and the translation of guest addresses to host pointers.
// Every translation is bounds-checked, because every address comes from the
// guest.
#pragma once

#include "guestuml/unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace guestuml::vhost {

class GuestMemory {
public:
    // Maps [mmap_offset, mmap_offset + size) of fd shared and adds it as the guest
    // range starting at guest_addr (user_addr in the front end's address space).
    // Throws Error.
    void map_region(std::uint64_t guest_addr, std::uint64_t user_addr, std::uint64_t size,
                    std::uint64_t mmap_offset, const UniqueFd& fd);

    // Adds memory the caller owns and keeps alive (tests lay out rings in it).
    void add_region(std::uint64_t guest_addr, std::uint64_t user_addr, std::span<std::byte> host);

    // Host pointer for the guest-physical range [addr, addr + len), or nullptr
    // unless it lies entirely inside one region.
    std::byte* at_guest(std::uint64_t addr, std::uint64_t len) const;

    // The same for an address in the front end's own address space (ring
    // addresses of SET_VRING_ADDR are given that way).
    std::byte* at_user(std::uint64_t addr, std::uint64_t len) const;

    bool empty() const { return regions_.empty(); }

private:
    struct Region {
        std::uint64_t guest_addr;
        std::uint64_t user_addr;
        std::uint64_t size;
        std::byte* host;
        std::shared_ptr<void> mapping; // unmaps; empty when the caller owns the memory
    };

    static std::byte* translate(std::uint64_t start, std::uint64_t addr, std::uint64_t len,
                                const Region& region);

    std::vector<Region> regions_;
};

} // namespace guestuml::vhost
