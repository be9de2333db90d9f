#include "virtio_console_device.hpp"

#include "guestuml/error.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>

namespace guestuml::vhost {

namespace {

constexpr std::uint64_t bit(unsigned n) { return std::uint64_t{1} << n; }

constexpr unsigned kFeatureMultiport = 1;
constexpr unsigned kFeatureVersion1 = 32;

constexpr std::uint32_t kMaxPorts = 2;

// Control events (include/uapi/linux/virtio_console.h).
constexpr std::uint16_t kDeviceReady = 0;
constexpr std::uint16_t kPortAdd = 1;
constexpr std::uint16_t kPortReady = 3;
constexpr std::uint16_t kPortOpen = 6;
constexpr std::uint16_t kPortName = 7;

enum QueueIndex : unsigned { kControlRx = 2, kControlTx = 3, kPortRx = 4, kPortTx = 5 };

// Chains handled per system call: enough to amortise the call, few enough to
// hand buffers back to the guest promptly.
constexpr std::size_t kBatch = 64;

#pragma pack(push, 1)
struct ControlHeader {
    std::uint32_t id;
    std::uint16_t event;
    std::uint16_t value;
};
struct ConsoleConfig {
    std::uint16_t cols;
    std::uint16_t rows;
    std::uint32_t max_nr_ports;
    std::uint32_t emerg_wr;
};
#pragma pack(pop)

// Copies up to size bytes out of the chain's device-readable buffers.
std::size_t gather(const DescriptorChain& chain, void* out, std::size_t size)
{
    auto* p = static_cast<std::byte*>(out);
    std::size_t done = 0;
    for (const iovec& v : chain.readable) {
        std::size_t n = std::min(v.iov_len, size - done);
        std::memcpy(p + done, v.iov_base, n);
        done += n;
    }
    return done;
}

// Copies data into the chain's device-writable buffers; returns bytes copied.
std::size_t scatter(const DescriptorChain& chain, std::span<const std::byte> data)
{
    std::size_t done = 0;
    for (const iovec& v : chain.writable) {
        std::size_t n = std::min(v.iov_len, data.size() - done);
        std::memcpy(v.iov_base, data.data() + done, n);
        done += n;
    }
    return done;
}

} // namespace

DeviceDescription VirtioConsoleDevice::description()
{
    DeviceDescription d;
    d.features = bit(kFeatureVersion1) | bit(kFeatureMultiport) | bit(kRingFeatureIndirectDesc) |
                 bit(kRingFeatureEventIdx);
    ConsoleConfig config{0, 0, kMaxPorts, 0};
    d.config.resize(sizeof config);
    std::memcpy(d.config.data(), &config, sizeof config);
    d.queue_count = kQueueCount;
    return d;
}

VirtioConsoleDevice::VirtioConsoleDevice(int host_fd, std::string port_name)
    : host_fd_(host_fd), port_name_(std::move(port_name))
{
}

void VirtioConsoleDevice::process(std::span<Vring> vrings)
{
    if (vrings.size() < kQueueCount)
        return;
    bool progress = true;
    while (progress) {
        progress = receive_control(vrings[kControlTx]);
        progress |= deliver_control(vrings[kControlRx]);
        progress |= pump_to_host(vrings[kPortTx]);
        progress |= pump_to_guest(vrings[kPortRx]);
    }
}

short VirtioConsoleDevice::host_events() const
{
    short events = 0;
    if (rx_waiting_)
        events |= POLLIN;
    if (host_writable_ && !tx_chains_.empty())
        events |= POLLOUT;
    return events;
}

bool VirtioConsoleDevice::receive_control(Vring& vring)
{
    Virtqueue* queue = vring.ready();
    if (!queue)
        return false;
    bool any = false;
    DescriptorChain chain;
    while (queue->pop(chain)) {
        ControlHeader header;
        if (gather(chain, &header, sizeof header) == sizeof header)
            handle_control(header.id, header.event, header.value);
        queue->push(chain.head, 0);
        any = true;
    }
    if (any)
        vring.notify_guest();
    return any;
}

void VirtioConsoleDevice::handle_control(std::uint32_t id, std::uint16_t event, std::uint16_t value)
{
    switch (event) {
    case kDeviceReady:
        if (value)
            queue_control(kPortAdd, 0);
        break;
    case kPortReady:
        if (id == kPortId && value && !port_ready_) {
            port_ready_ = true;
            queue_control(kPortName, 1, port_name_);
            if (host_readable_ && host_writable_)
                queue_control(kPortOpen, 1);
        }
        break;
    case kPortOpen:
        if (id == kPortId)
            guest_open_ = value != 0;
        break;
    default:
        break; // resize and console events mean nothing for a data channel
    }
}

void VirtioConsoleDevice::queue_control(std::uint16_t event, std::uint16_t value, std::string_view extra)
{
    ControlHeader header{kPortId, event, value};
    std::vector<std::byte> message(sizeof header + extra.size());
    std::memcpy(message.data(), &header, sizeof header);
    std::memcpy(message.data() + sizeof header, extra.data(), extra.size());
    control_out_.push_back(std::move(message));
}

bool VirtioConsoleDevice::deliver_control(Vring& vring)
{
    Virtqueue* queue = vring.ready();
    if (!queue || control_out_.empty())
        return false;
    bool any = false;
    DescriptorChain chain;
    while (!control_out_.empty() && queue->pop(chain)) {
        std::size_t written = scatter(chain, control_out_.front());
        queue->push(chain.head, static_cast<std::uint32_t>(written));
        control_out_.pop_front();
        any = true;
    }
    if (any)
        vring.notify_guest();
    return any;
}

void VirtioConsoleDevice::host_closed()
{
    if (port_ready_ && host_readable_ && host_writable_)
        queue_control(kPortOpen, 0);
}

bool VirtioConsoleDevice::pump_to_host(Vring& vring)
{
    Virtqueue* queue = vring.ready();
    if (!queue)
        return false;
    while (tx_chains_.size() < kBatch) {
        DescriptorChain chain;
        if (!queue->pop(chain))
            break;
        tx_chains_.push_back(std::move(chain));
    }
    if (tx_chains_.empty())
        return false;

    std::size_t sent = 0;
    if (host_writable_) {
        iov_.clear();
        std::size_t skip = tx_offset_;
        for (const DescriptorChain& chain : tx_chains_)
            for (const iovec& v : chain.readable) {
                if (skip >= v.iov_len) {
                    skip -= v.iov_len;
                    continue;
                }
                if (iov_.size() < IOV_MAX)
                    iov_.push_back({static_cast<std::byte*>(v.iov_base) + skip, v.iov_len - skip});
                skip = 0;
            }
        if (!iov_.empty()) {
            msghdr msg{};
            msg.msg_iov = iov_.data();
            msg.msg_iovlen = iov_.size();
            ssize_t n = ::sendmsg(host_fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    return false;
                if (errno == EINTR)
                    return true;
                if (errno != EPIPE && errno != ECONNRESET)
                    throw_errno("virtio-console: writing to the host channel");
                host_closed();
                host_writable_ = false;
                return true;
            }
            sent = static_cast<std::size_t>(n);
            bytes_from_guest_ += sent;
        }
    }

    // Hand back the chains that are fully sent; with the host gone, everything
    // is dropped so the guest never waits on a reader that will not come.
    std::size_t remaining = tx_offset_ + sent;
    std::size_t done = 0;
    for (const DescriptorChain& chain : tx_chains_) {
        std::size_t len = chain.readable_bytes();
        if (host_writable_ && remaining < len)
            break;
        remaining -= std::min(remaining, len);
        queue->push(chain.head, 0);
        ++done;
    }
    tx_offset_ = host_writable_ ? remaining : 0;
    tx_chains_.erase(tx_chains_.begin(), tx_chains_.begin() + static_cast<std::ptrdiff_t>(done));
    if (done)
        vring.notify_guest();
    return sent > 0 || done > 0;
}

bool VirtioConsoleDevice::pump_to_guest(Vring& vring)
{
    rx_waiting_ = false;
    Virtqueue* queue = vring.ready();
    if (!queue || !guest_open_ || !host_readable_)
        return false;

    std::size_t count = 0;
    while (count < kBatch) {
        if (rx_chains_.size() <= count)
            rx_chains_.emplace_back();
        if (!queue->pop(rx_chains_[count]))
            break;
        ++count;
    }
    if (count == 0)
        return false;

    iov_.clear();
    for (std::size_t i = 0; i < count; ++i)
        for (const iovec& v : rx_chains_[i].writable)
            if (iov_.size() < IOV_MAX)
                iov_.push_back(v);
    msghdr msg{};
    msg.msg_iov = iov_.data();
    msg.msg_iovlen = iov_.size();
    ssize_t n = ::recvmsg(host_fd_, &msg, MSG_DONTWAIT);
    if (n <= 0) {
        queue->unpop(static_cast<std::uint16_t>(count));
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            rx_waiting_ = true;
            return false;
        }
        if (n < 0 && errno == EINTR)
            return true;
        if (n < 0 && errno != ECONNRESET)
            throw_errno("virtio-console: reading from the host channel");
        host_closed();
        host_readable_ = false;
        return true;
    }

    std::size_t left = static_cast<std::size_t>(n);
    std::size_t used = 0;
    for (; used < count && left > 0; ++used) {
        std::size_t take = std::min(rx_chains_[used].writable_bytes(), left);
        queue->push(rx_chains_[used].head, static_cast<std::uint32_t>(take));
        left -= take;
    }
    queue->unpop(static_cast<std::uint16_t>(count - used));
    bytes_to_guest_ += static_cast<std::size_t>(n);
    vring.notify_guest();
    return true;
}

} // namespace guestuml::vhost
