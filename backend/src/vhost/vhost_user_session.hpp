// One vhost-user connection from the device's side: answers the front end's
// requests (features, memory table, ring setup, config space) and keeps the
// state of every ring for the device model to use.
#pragma once

#include "guest_memory.hpp"
#include "guestuml/unique_fd.hpp"
#include "virtqueue.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace guestuml::vhost {

struct Message;

// What a device model offers the front end.
struct DeviceDescription {
    std::uint64_t features = 0;       // virtio feature bits, transport bits included
    std::vector<std::byte> config;    // the device's config space
    unsigned queue_count = 0;
};

// One ring as the front end has set it up.
struct Vring {
    VirtqueueLayout layout;
    std::uint16_t base = 0;
    UniqueFd kick;  // eventfd the guest writes to when it adds buffers
    UniqueFd call;  // where we write to interrupt the guest
    bool enabled = false;
    std::optional<Virtqueue> queue; // present once the ring has started

    // The queue if the ring is started and enabled, else nullptr.
    Virtqueue* ready() { return enabled && queue ? &*queue : nullptr; }
    // Interrupts the guest if it wants to know about the buffers just used.
    void notify_guest();
};

class VhostUserSession {
public:
    // socket: the connected front end (not owned).
    VhostUserSession(int socket, DeviceDescription device);

    // Reads and answers one request. Returns false when the front end has
    // hung up. Throws Error when the connection cannot go on.
    bool handle_next_message();

    std::span<Vring> vrings() { return vrings_; }

private:
    // Handles one request; returns true if it already sent its reply.
    bool dispatch(Message& message);
    Vring& vring_for(std::uint64_t index);
    void set_mem_table(Message& message);
    void set_vring_fd(Message& message, UniqueFd Vring::*which);
    void start_ring(Vring& vring);
    void get_config(const Message& message);

    int socket_;
    DeviceDescription device_;
    std::uint64_t acked_features_ = 0;
    std::uint64_t protocol_features_ = 0;
    GuestMemory memory_;
    std::vector<Vring> vrings_;
    UniqueFd slave_req_; // kept open: closing it would look like a hang-up to UML
};

} // namespace guestuml::vhost
