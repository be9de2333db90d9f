// A guest's side of one split virtqueue laid out by hand in ordinary memory,
// so ring handling can be tested (and abused) without a guest.
#pragma once

#include "vhost/guest_memory.hpp"
#include "vhost/virtqueue.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

namespace guestuml::vhost::testing {

class FakeGuestRings {
public:
    static constexpr std::uint64_t kBase = 0x40000000; // guest address of the region
    static constexpr std::uint64_t kDesc = 0x0;
    static constexpr std::uint64_t kAvail = 0x10000;
    static constexpr std::uint64_t kUsed = 0x20000;
    static constexpr std::uint64_t kData = 0x40000;
    static constexpr std::size_t kSize = 1 << 20;

    explicit FakeGuestRings(std::uint16_t queue_size) : size_(queue_size), bytes_(kSize) {}

    GuestMemory memory()
    {
        GuestMemory m;
        m.add_region(kBase, kBase, bytes_);
        return m;
    }

    VirtqueueLayout layout(bool indirect = false, bool event_idx = false) const
    {
        return {size_, kBase + kDesc, kBase + kAvail, kBase + kUsed, indirect, event_idx};
    }

    // Guest address of offset bytes into the data area.
    static std::uint64_t data(std::uint64_t offset) { return kBase + kData + offset; }
    std::byte* host(std::uint64_t guest_addr) { return bytes_.data() + (guest_addr - kBase); }

    void set_desc(std::uint16_t index, std::uint64_t addr, std::uint32_t len, std::uint16_t flags = 0,
                  std::uint16_t next = 0)
    {
        write_desc(kBase + kDesc + 16ull * index, addr, len, flags, next);
    }
    // A descriptor anywhere in guest memory (entries of an indirect table).
    void write_desc(std::uint64_t at, std::uint64_t addr, std::uint32_t len, std::uint16_t flags,
                    std::uint16_t next)
    {
        Descriptor d{addr, len, flags, next};
        std::memcpy(host(at), &d, sizeof d);
    }

    void make_available(std::uint16_t head)
    {
        std::uint16_t idx = avail_idx();
        put16(kAvail + 4 + 2ull * (idx % size_), head);
        set_avail_idx(static_cast<std::uint16_t>(idx + 1));
    }
    std::uint16_t avail_idx() { return get16(kAvail + 2); }
    void set_avail_idx(std::uint16_t v) { put16(kAvail + 2, v); }
    void set_avail_flags(std::uint16_t v) { put16(kAvail, v); }
    void set_used_event(std::uint16_t v) { put16(kAvail + 4 + 2ull * size_, v); }
    std::uint16_t avail_event() { return get16(kUsed + 4 + 8ull * size_); }

    std::uint16_t used_idx() { return get16(kUsed + 2); }
    void set_used_idx(std::uint16_t v) { put16(kUsed + 2, v); }
    UsedElement used(std::uint16_t i)
    {
        UsedElement e;
        std::memcpy(&e, bytes_.data() + kUsed + 4 + 8ull * (i % size_), sizeof e);
        return e;
    }

private:
    std::uint16_t get16(std::uint64_t offset)
    {
        std::uint16_t v;
        std::memcpy(&v, bytes_.data() + offset, 2);
        return v;
    }
    void put16(std::uint64_t offset, std::uint16_t v) { std::memcpy(bytes_.data() + offset, &v, 2); }

    std::uint16_t size_;
    std::vector<std::byte> bytes_;
};

} // namespace guestuml::vhost::testing
