// A split virtqueue seen from the device side (virtio 1.x, section 2.7).
// Everything in the rings is written by the guest, which we do not trust: every
// index, length and address is checked, and anything malformed raises
// QueueError instead of touching memory outside the guest's regions.
#pragma once

#include "guest_memory.hpp"
#include "guestuml/error.hpp"

#include <cstddef>
#include <cstdint>
#include <sys/uio.h>
#include <vector>

namespace guestuml::vhost {

inline constexpr unsigned kRingFeatureIndirectDesc = 28;
inline constexpr unsigned kRingFeatureEventIdx = 29;

inline constexpr std::uint16_t kDescFlagNext = 1;
inline constexpr std::uint16_t kDescFlagWrite = 2;
inline constexpr std::uint16_t kDescFlagIndirect = 4;
inline constexpr std::uint16_t kAvailFlagNoInterrupt = 1;
inline constexpr std::uint32_t kMaxQueueSize = 32768;

#pragma pack(push, 1)
struct Descriptor {
    std::uint64_t addr;
    std::uint32_t len;
    std::uint16_t flags;
    std::uint16_t next;
};
struct UsedElement {
    std::uint32_t id;
    std::uint32_t len;
};
#pragma pack(pop)

// The guest broke the ring's rules; the queue is unusable from now on.
class QueueError : public Error {
public:
    using Error::Error;
};

// One available buffer: the guest's descriptors resolved to host memory.
struct DescriptorChain {
    std::uint16_t head = 0;
    std::vector<iovec> readable; // the device reads these (driver to device)
    std::vector<iovec> writable; // the device fills these (device to driver)

    std::size_t readable_bytes() const;
    std::size_t writable_bytes() const;
};

struct VirtqueueLayout {
    std::uint16_t size = 0;        // number of descriptors, a power of two
    std::uint64_t desc_addr = 0;   // ring addresses in the front end's address space
    std::uint64_t avail_addr = 0;
    std::uint64_t used_addr = 0;
    bool indirect = false;         // VIRTIO_RING_F_INDIRECT_DESC negotiated
    bool event_idx = false;        // VIRTIO_RING_F_EVENT_IDX negotiated
};

class Virtqueue {
public:
    // Resolves the rings in memory (kept alive by the copy) and starts taking
    // buffers at next_avail. Throws QueueError if the layout does not fit.
    Virtqueue(GuestMemory memory, const VirtqueueLayout& layout, std::uint16_t next_avail);

    // True if the guest has made a buffer available. When it has not, asks
    // for a kick first (event index) and looks again, so no kick is missed.
    bool has_available();

    // Takes the next available chain into chain; false if there is none.
    // Throws QueueError on malformed descriptors.
    bool pop(DescriptorChain& chain);

    // Puts back the last count popped chains, not yet pushed, to be popped again.
    void unpop(std::uint16_t count);

    // Returns a chain to the guest, reporting len bytes written into it.
    void push(std::uint16_t head, std::uint32_t len);

    // Whether the guest wants an interrupt for what was pushed since the last
    // call (honours VRING_AVAIL_F_NO_INTERRUPT or the used event index).
    bool need_notify();

    std::uint16_t next_avail() const { return next_avail_; }

private:
    std::uint16_t avail_idx() const;
    void walk(const Descriptor* table, std::uint32_t table_size, std::uint16_t index, bool indirect_table,
              DescriptorChain& chain) const;

    GuestMemory memory_;
    VirtqueueLayout layout_;
    Descriptor* desc_;
    std::uint16_t* avail_;  // flags, idx, ring[size], used_event
    std::byte* used_;       // flags, idx, ring[size], avail_event
    std::uint16_t next_avail_;
    std::uint16_t used_idx_;
    std::uint16_t signalled_used_;
    bool pushed_since_notify_ = false;
};

} // namespace guestuml::vhost
