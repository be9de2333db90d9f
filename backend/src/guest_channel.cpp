#include "guest_channel.hpp"

namespace guestuml {

GuestChannel make_guest_channel(const LaunchConfig& config)
{
    GuestChannel channel;
    if (config.channel == ChannelKind::virtio)
        channel.notice = "guestuml: the virtio channel is not available yet; using the serial line /dev/ttyS3";
    if (config.channel_fd >= 0) {
        channel.host_fd = config.channel_fd;
        channel.serial_fd = config.channel_fd;
        return channel;
    }
    auto [host, guest] = make_socketpair();
    channel.host_fd = host.get();
    channel.own_host_end = std::move(host);
    channel.serial_fd = guest.get();
    channel.own_serial_end = std::move(guest);
    return channel;
}

} // namespace guestuml
