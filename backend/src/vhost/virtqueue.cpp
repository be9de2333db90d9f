#include "virtqueue.hpp"

#include <atomic>
#include <bit>
#include <cstring>
#include <fmt/format.h>

namespace guestuml::vhost {

static_assert(std::endian::native == std::endian::little,
              "virtio 1.x rings are little-endian; this code reads them natively");

namespace {

// An indirect table may hold more entries than the ring (virtio_console's
// splice writes do); this bounds what one chain can make us collect.
constexpr std::uint32_t kMaxIndirectEntries = 1024;

// The rings are shared with a guest that writes them concurrently.
std::uint16_t load16(std::uint16_t* p, std::memory_order order = std::memory_order_relaxed)
{
    return std::atomic_ref<std::uint16_t>(*p).load(order);
}

void store16(std::uint16_t* p, std::uint16_t value, std::memory_order order = std::memory_order_relaxed)
{
    std::atomic_ref<std::uint16_t>(*p).store(value, order);
}

std::size_t total(const std::vector<iovec>& iov)
{
    std::size_t sum = 0;
    for (const iovec& v : iov)
        sum += v.iov_len;
    return sum;
}

} // namespace

std::size_t DescriptorChain::readable_bytes() const { return total(readable); }
std::size_t DescriptorChain::writable_bytes() const { return total(writable); }

Virtqueue::Virtqueue(GuestMemory memory, const VirtqueueLayout& layout, std::uint16_t next_avail)
    : memory_(std::move(memory)), layout_(layout), next_avail_(next_avail)
{
    const std::uint32_t size = layout.size;
    if (size == 0 || size > kMaxQueueSize || !std::has_single_bit(size))
        throw QueueError(fmt::format("virtqueue size {} is not a power of two up to {}", size, kMaxQueueSize));
    if (layout.desc_addr % 16 || layout.avail_addr % 2 || layout.used_addr % 4)
        throw QueueError(fmt::format("virtqueue rings misaligned (desc {:#x}, avail {:#x}, used {:#x})",
                                     layout.desc_addr, layout.avail_addr, layout.used_addr));
    desc_ = reinterpret_cast<Descriptor*>(memory_.at_user(layout.desc_addr, 16ull * size));
    avail_ = reinterpret_cast<std::uint16_t*>(memory_.at_user(layout.avail_addr, 6ull + 2ull * size));
    used_ = memory_.at_user(layout.used_addr, 6ull + 8ull * size);
    if (!desc_ || !avail_ || !used_)
        throw QueueError(fmt::format("virtqueue rings outside guest memory (desc {:#x}, avail {:#x}, used {:#x})",
                                     layout.desc_addr, layout.avail_addr, layout.used_addr));
    // The host pointers inherit the guest's alignment only if the regions are
    // aligned; the atomic accesses below need it.
    if (reinterpret_cast<std::uintptr_t>(avail_) % 2 || reinterpret_cast<std::uintptr_t>(used_) % 4)
        throw QueueError("virtqueue rings misaligned in host memory");
    used_idx_ = load16(reinterpret_cast<std::uint16_t*>(used_) + 1, std::memory_order_acquire);
    signalled_used_ = used_idx_;
}

std::uint16_t Virtqueue::avail_idx() const
{
    // Acquire: the ring entries and descriptors written before idx must be seen.
    return load16(avail_ + 1, std::memory_order_acquire);
}

bool Virtqueue::has_available()
{
    auto pending = [this] {
        std::uint16_t count = static_cast<std::uint16_t>(avail_idx() - next_avail_);
        if (count > layout_.size)
            throw QueueError(fmt::format("available index moved by {}, more than the queue size {}", count,
                                         layout_.size));
        return count;
    };
    if (pending() > 0)
        return true;
    if (!layout_.event_idx)
        return false;
    // Ask to be kicked for the next buffer, then look again: the guest may
    // have added one before it could see the request.
    auto* avail_event = reinterpret_cast<std::uint16_t*>(used_ + 4 + 8ull * layout_.size);
    store16(avail_event, next_avail_);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return pending() > 0;
}

bool Virtqueue::pop(DescriptorChain& chain)
{
    if (!has_available())
        return false;
    std::uint16_t head = load16(avail_ + 2 + (next_avail_ & (layout_.size - 1)));
    if (head >= layout_.size)
        throw QueueError(fmt::format("available ring names descriptor {}, queue size is {}", head, layout_.size));
    chain.head = head;
    chain.readable.clear();
    chain.writable.clear();
    walk(desc_, layout_.size, head, false, chain);
    ++next_avail_;
    return true;
}

void Virtqueue::unpop(std::uint16_t count) { next_avail_ = static_cast<std::uint16_t>(next_avail_ - count); }

void Virtqueue::walk(const Descriptor* table, std::uint32_t table_size, std::uint16_t index, bool indirect_table,
                     DescriptorChain& chain) const
{
    for (std::uint32_t steps = 0;; ++steps) {
        if (steps >= table_size)
            throw QueueError(fmt::format("descriptor chain from {} is longer than its table of {} (a loop?)",
                                         chain.head, table_size));
        Descriptor d;
        std::memcpy(&d, &table[index], sizeof d); // one snapshot: the guest may change it meanwhile

        if (d.flags & kDescFlagIndirect) {
            if (!layout_.indirect)
                throw QueueError("indirect descriptor, but the feature was not negotiated");
            if (indirect_table)
                throw QueueError("indirect descriptor inside an indirect table");
            if (d.flags & kDescFlagNext)
                throw QueueError("indirect descriptor with the NEXT flag");
            if (d.len == 0 || d.len % sizeof(Descriptor) || d.len / sizeof(Descriptor) > kMaxIndirectEntries)
                throw QueueError(fmt::format("indirect table of {} bytes", d.len));
            const auto* sub = reinterpret_cast<const Descriptor*>(memory_.at_guest(d.addr, d.len));
            if (!sub)
                throw QueueError(fmt::format("indirect table at {:#x}+{} outside guest memory", d.addr, d.len));
            walk(sub, d.len / sizeof(Descriptor), 0, true, chain);
            return;
        }

        if (d.len > 0) {
            std::byte* p = memory_.at_guest(d.addr, d.len);
            if (!p)
                throw QueueError(fmt::format("buffer at {:#x}+{} outside guest memory", d.addr, d.len));
            if (d.flags & kDescFlagWrite) {
                chain.writable.push_back({p, d.len});
            } else {
                if (!chain.writable.empty())
                    throw QueueError("device-readable buffer after a device-writable one");
                chain.readable.push_back({p, d.len});
            }
        }
        if (!(d.flags & kDescFlagNext))
            return;
        if (d.next >= table_size)
            throw QueueError(fmt::format("descriptor {} links to {}, table size is {}", index, d.next, table_size));
        index = d.next;
    }
}

void Virtqueue::push(std::uint16_t head, std::uint32_t len)
{
    UsedElement element{head, len};
    std::byte* slot = used_ + 4 + 8ull * (used_idx_ & (layout_.size - 1));
    std::memcpy(slot, &element, sizeof element);
    ++used_idx_;
    // Release: the element (and the data in the buffer) before the index.
    store16(reinterpret_cast<std::uint16_t*>(used_) + 1, used_idx_, std::memory_order_release);
    pushed_since_notify_ = true;
}

bool Virtqueue::need_notify()
{
    if (!pushed_since_notify_)
        return false;
    pushed_since_notify_ = false;
    // The guest's flags or event index must be read after our index is visible.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (layout_.event_idx) {
        std::uint16_t used_event = load16(avail_ + 2 + layout_.size);
        std::uint16_t old = signalled_used_;
        signalled_used_ = used_idx_;
        return static_cast<std::uint16_t>(used_idx_ - used_event - 1) < static_cast<std::uint16_t>(used_idx_ - old);
    }
    return !(load16(avail_) & kAvailFlagNoInterrupt);
}

} // namespace guestuml::vhost
