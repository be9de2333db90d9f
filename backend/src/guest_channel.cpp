#include "guest_channel.hpp"

#include <fmt/format.h>

namespace guestuml {
namespace {

// The host end is the caller's descriptor, or one end of a pair we keep;
// whoever carries guestfsd's bytes on our side gets the other end.
int attach_host_end(const LaunchConfig& config, GuestChannel& channel, UniqueFd& far_end)
{
    if (config.channel_fd >= 0) {
        channel.host_fd = config.channel_fd;
        return config.channel_fd;
    }
    auto [host, guest] = make_socketpair();
    channel.host_fd = host.get();
    channel.own_host_end = std::move(host);
    far_end = std::move(guest);
    return far_end.get();
}

GuestChannel serial_channel(const LaunchConfig& config)
{
    GuestChannel channel;
    channel.serial_fd = attach_host_end(config, channel, channel.own_serial_end);
    return channel;
}

} // namespace

GuestChannel make_guest_channel(const LaunchConfig& config, const boost::filesystem::path& dir,
                                vhost::VirtioConsoleServer::EndHandler on_server_end)
{
    if (config.channel == ChannelKind::serial)
        return serial_channel(config);
    GuestChannel channel;
    const int device_fd = attach_host_end(config, channel, channel.own_device_end);
    try {
        channel.console_socket = dir / "channel.sock";
        channel.server = std::make_unique<vhost::VirtioConsoleServer>(
            channel.console_socket, device_fd, vhost::kLibguestfsChannelName, std::move(on_server_end));
    } catch (const Error& e) {
        GuestChannel fallback = serial_channel(config);
        fallback.notice = fmt::format("guestuml: the virtio channel cannot start ({}); using the serial line /dev/ttyS3",
                                      e.what());
        return fallback;
    }
    return channel;
}

} // namespace guestuml
