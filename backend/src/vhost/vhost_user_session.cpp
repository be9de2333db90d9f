#include "vhost_user_session.hpp"

#include "guestuml/error.hpp"
#include "vhost_user_protocol.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

namespace guestuml::vhost {

namespace {

constexpr std::uint64_t bit(unsigned n) { return std::uint64_t{1} << n; }

// SLAVE_REQ although we never send requests: UML 6.1 allocates the interrupt
// its ring call descriptors share only when it sets up the slave channel;
// without it, it asks for IRQ 0, collides with the timer and the guest driver
// fails to set up its queues (-EBUSY).
constexpr std::uint64_t kOfferedProtocolFeatures =
    bit(kProtocolFeatureReplyAck) | bit(kProtocolFeatureSlaveReq) | bit(kProtocolFeatureConfig);

// The largest config read we answer; virtio config spaces are far smaller.
constexpr std::uint32_t kMaxConfigRead = 256;

template <class T>
T payload_or_throw(const Message& message)
{
    auto value = message.read<T>();
    if (!value)
        throw Error(fmt::format("vhost-user: request {} has a payload of {} bytes, expected {}",
                                message.header.request, message.payload.size(), sizeof(T)));
    return *value;
}

} // namespace

void Vring::notify_guest()
{
    if (!queue || !call || !queue->need_notify())
        return;
    const std::uint64_t one = 1;
    // The call descriptor is UML's pipe, non-blocking: when it is full the
    // guest has interrupts pending anyway. Once UML is gone the write fails with
    // EPIPE (the server's thread blocks SIGPIPE) and the next read of the
    // vhost-user socket ends the session.
    while (::write(call.get(), &one, sizeof one) < 0 && errno == EINTR) {
    }
}

VhostUserSession::VhostUserSession(int socket, DeviceDescription device)
    : socket_(socket), device_(std::move(device)), vrings_(device_.queue_count)
{
}

bool VhostUserSession::handle_next_message()
{
    std::optional<Message> message = receive_message(socket_);
    if (!message)
        return false;
    bool replied;
    try {
        replied = dispatch(*message);
    } catch (const Error&) {
        // With REPLY_ACK the front end learns of the failure and may carry on;
        // without it there is no way to tell it, so the connection ends.
        if (!message->needs_reply())
            throw;
        send_reply_u64(socket_, message->header, 1);
        return true;
    }
    if (!replied && message->needs_reply())
        send_reply_u64(socket_, message->header, 0);
    return true;
}

Vring& VhostUserSession::vring_for(std::uint64_t index)
{
    if (index >= vrings_.size())
        throw Error(fmt::format("vhost-user: ring {} does not exist (the device has {})", index, vrings_.size()));
    return vrings_[index];
}

bool VhostUserSession::dispatch(Message& message)
{
    const bool protocol_features_acked = (acked_features_ & bit(kFeatureProtocolFeatures)) != 0;
    switch (message.request()) {
    case Request::SetOwner:
    case Request::ResetOwner:
        return false;
    case Request::GetFeatures:
        send_reply_u64(socket_, message.header, device_.features | bit(kFeatureProtocolFeatures));
        return true;
    case Request::SetFeatures: {
        auto features = payload_or_throw<std::uint64_t>(message);
        std::uint64_t offered = device_.features | bit(kFeatureProtocolFeatures);
        if (features & ~offered)
            throw Error(fmt::format("vhost-user: front end acked features {:#x} that were not offered ({:#x})",
                                    features, offered));
        acked_features_ = features;
        return false;
    }
    case Request::GetProtocolFeatures:
        send_reply_u64(socket_, message.header, kOfferedProtocolFeatures);
        return true;
    case Request::SetProtocolFeatures:
        protocol_features_ = payload_or_throw<std::uint64_t>(message) & kOfferedProtocolFeatures;
        return false;
    case Request::GetQueueNum:
        send_reply_u64(socket_, message.header, vrings_.size());
        return true;
    case Request::SetMemTable:
        set_mem_table(message);
        return false;
    case Request::SetVringNum: {
        auto state = payload_or_throw<VringState>(message);
        if (state.num == 0 || state.num > kMaxQueueSize)
            throw Error(fmt::format("vhost-user: ring {} size {} out of range", state.index, state.num));
        vring_for(state.index).layout.size = static_cast<std::uint16_t>(state.num);
        return false;
    }
    case Request::SetVringAddr: {
        auto addr = payload_or_throw<VringAddr>(message);
        Vring& vring = vring_for(addr.index);
        vring.layout.desc_addr = addr.desc;
        vring.layout.avail_addr = addr.avail;
        vring.layout.used_addr = addr.used;
        return false;
    }
    case Request::SetVringBase: {
        auto state = payload_or_throw<VringState>(message);
        vring_for(state.index).base = static_cast<std::uint16_t>(state.num);
        return false;
    }
    case Request::GetVringBase: {
        // Stops the ring and reports where the guest should resume.
        auto state = payload_or_throw<VringState>(message);
        Vring& vring = vring_for(state.index);
        if (vring.queue)
            vring.base = vring.queue->next_avail();
        vring.queue.reset();
        vring.kick.reset();
        VringState reply{state.index, vring.base};
        send_reply(socket_, message.header, std::as_bytes(std::span(&reply, 1)));
        return true;
    }
    case Request::SetVringKick:
        set_vring_fd(message, &Vring::kick);
        start_ring(vring_for(payload_or_throw<std::uint64_t>(message) & kVringIndexMask));
        return false;
    case Request::SetVringCall: {
        set_vring_fd(message, &Vring::call);
        Vring& vring = vring_for(payload_or_throw<std::uint64_t>(message) & kVringIndexMask);
        if (vring.call && ::fcntl(vring.call.get(), F_SETFL, O_NONBLOCK) == -1)
            throw_errno("vhost-user: making the call descriptor non-blocking");
        return false;
    }
    case Request::SetVringErr:
        // We report ring errors by ending the connection; the descriptor is not needed.
        return false;
    case Request::SetVringEnable: {
        auto state = payload_or_throw<VringState>(message);
        vring_for(state.index).enabled = state.num != 0;
        return false;
    }
    case Request::SetSlaveReqFd:
        if (message.fds.size() != 1)
            throw Error("vhost-user: SET_SLAVE_REQ_FD without a descriptor");
        slave_req_ = std::move(message.fds[0]);
        return false;
    case Request::GetConfig:
        if (!(protocol_features_ & bit(kProtocolFeatureConfig)))
            throw Error("vhost-user: GET_CONFIG without the CONFIG protocol feature");
        get_config(message);
        return true;
    case Request::SetConfig:
        // The console's config space has nothing the guest may change.
        return false;
    default:
        throw Error(fmt::format("vhost-user: unsupported request {}{}", message.header.request,
                                protocol_features_acked ? "" : " (before protocol features)"));
    }
}

void VhostUserSession::set_mem_table(Message& message)
{
    auto table = payload_or_throw<MemTableHeader>(message);
    if (table.num == 0 || table.num > kMaxMemRegions || table.num != message.fds.size())
        throw Error(fmt::format("vhost-user: memory table of {} regions with {} descriptors", table.num,
                                message.fds.size()));
    GuestMemory memory;
    for (std::uint32_t i = 0; i < table.num; ++i) {
        auto region = message.read<MemRegion>(sizeof(MemTableHeader) + i * sizeof(MemRegion));
        if (!region)
            throw Error(fmt::format("vhost-user: memory table truncated at region {}", i));
        memory.map_region(region->guest_addr, region->user_addr, region->size, region->mmap_offset,
                          message.fds[i]);
    }
    memory_ = std::move(memory);
    // Started rings point into the old table; rebuild them on the new one.
    for (Vring& vring : vrings_)
        if (vring.queue) {
            vring.base = vring.queue->next_avail();
            start_ring(vring);
        }
}

void VhostUserSession::set_vring_fd(Message& message, UniqueFd Vring::*which)
{
    auto value = payload_or_throw<std::uint64_t>(message);
    Vring& vring = vring_for(value & kVringIndexMask);
    if (value & kVringNoFd) {
        if (which == &Vring::kick)
            throw Error("vhost-user: polling rings without a kick descriptor are not supported");
        (vring.*which).reset();
        return;
    }
    if (message.fds.size() != 1)
        throw Error(fmt::format("vhost-user: request {} carries {} descriptors, expected 1", message.header.request,
                                message.fds.size()));
    vring.*which = std::move(message.fds[0]);
}

void VhostUserSession::start_ring(Vring& vring)
{
    if (memory_.empty())
        throw Error("vhost-user: ring started before the memory table was set");
    VirtqueueLayout layout = vring.layout;
    layout.indirect = (acked_features_ & bit(kRingFeatureIndirectDesc)) != 0;
    layout.event_idx = (acked_features_ & bit(kRingFeatureEventIdx)) != 0;
    try {
        vring.queue.emplace(memory_, layout, vring.base);
    } catch (const QueueError& e) {
        throw Error(fmt::format("vhost-user: cannot start ring: {}", e.what()));
    }
    // Without protocol features a ring is enabled as soon as it starts.
    if (!(acked_features_ & bit(kFeatureProtocolFeatures)))
        vring.enabled = true;
}

void VhostUserSession::get_config(const Message& message)
{
    auto request = payload_or_throw<ConfigHeader>(message);
    if (request.size > kMaxConfigRead || request.offset > kMaxConfigRead)
        throw Error(fmt::format("vhost-user: config read of {} bytes at {}", request.size, request.offset));
    std::vector<std::byte> reply(sizeof(ConfigHeader) + request.size);
    std::memcpy(reply.data(), &request, sizeof request);
    for (std::uint32_t i = 0; i < request.size; ++i) {
        std::size_t at = std::size_t{request.offset} + i;
        if (at < device_.config.size())
            reply[sizeof(ConfigHeader) + i] = device_.config[at];
    }
    send_reply(socket_, message.header, reply);
}

} // namespace guestuml::vhost
