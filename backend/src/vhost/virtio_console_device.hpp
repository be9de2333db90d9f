// The virtio-console device model (virtio 1.x, section 5.3) with MULTIPORT:
// speaks the control protocol that makes the guest create one named port, and
// moves that port's bytes to and from a host descriptor.
//
// Queues: 0/1 port 0 (never added), 2/3 control receive/transmit, 4/5 the
// channel port's receive/transmit. Backpressure both ways: guest buffers are
// only taken from the transmit ring as fast as the host descriptor accepts
// them, and the host descriptor is only read into receive buffers the guest
// has posted, while the guest has the port open.
#pragma once

#include "vhost_user_session.hpp"
#include "virtqueue.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

namespace guestuml::vhost {

class VirtioConsoleDevice {
public:
    static constexpr unsigned kQueueCount = 6;
    static constexpr std::uint32_t kPortId = 1;

    // Features, config space and queue count to offer the front end.
    static DeviceDescription description();

    // host_fd: a stream socket (not owned), used with MSG_DONTWAIT so its
    // flags are left alone. port_name: the name the guest sees in sysfs.
    VirtioConsoleDevice(int host_fd, std::string port_name);

    // Does all the work possible now without blocking, interrupting the guest
    // where it asked for it. Throws QueueError (guest) or Error (host fd).
    void process(std::span<Vring> vrings);

    // poll() events to wait for on host_fd; 0 means leave it out of the set.
    short host_events() const;

    std::uint64_t bytes_to_guest() const { return bytes_to_guest_; }
    std::uint64_t bytes_from_guest() const { return bytes_from_guest_; }

private:
    bool receive_control(Vring& vring);
    void handle_control(std::uint32_t id, std::uint16_t event, std::uint16_t value);
    void queue_control(std::uint16_t event, std::uint16_t value, std::string_view extra = {});
    bool deliver_control(Vring& vring);
    bool pump_to_host(Vring& vring);
    bool pump_to_guest(Vring& vring);
    void host_closed();

    int host_fd_;
    std::string port_name_;
    std::deque<std::vector<std::byte>> control_out_;
    bool port_ready_ = false;       // the guest has set up the port
    bool guest_open_ = false;       // a guest program has the port open
    bool host_readable_ = true;     // no EOF from the host yet
    bool host_writable_ = true;     // the host still takes data
    bool rx_waiting_ = false;       // receive buffers wait for host data
    std::vector<DescriptorChain> tx_chains_; // taken from the guest, not fully sent
    std::size_t tx_offset_ = 0;              // bytes of tx_chains_[0] already sent
    std::vector<DescriptorChain> rx_chains_;
    std::vector<iovec> iov_;
    std::uint64_t bytes_to_guest_ = 0;
    std::uint64_t bytes_from_guest_ = 0;
};

} // namespace guestuml::vhost
