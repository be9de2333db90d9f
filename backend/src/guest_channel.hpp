// guestfsd's channel as UML sees it: the vhost-user virtio-console port
// org.libguestfs.channel.0 (console_socket, served by our device server), or
// the serial line /dev/ttyS3 (ssl3=fd:N) when asked for or when the virtio
// channel cannot start.
#pragma once

#include "guestuml/uml_instance.hpp"
#include "guestuml/unique_fd.hpp"
#include "vhost/virtio_console_server.hpp"

#include <boost/filesystem/path.hpp>
#include <memory>
#include <string>

namespace guestuml {

struct GuestChannel {
    int host_fd = -1;           // what channel_fd() returns
    UniqueFd own_host_end;      // our end, when we made the pair
    int serial_fd = -1;         // descriptor UML gets for ssl3 (-1: no serial line)
    UniqueFd own_serial_end;    // UML's end of our pair; closed once UML runs
    UniqueFd own_device_end;    // the pair's far end, which the console server serves
    boost::filesystem::path console_socket;   // vhost-user console (empty: serial line)
    std::string notice;         // one line for the console log, e.g. a fallback
    // Last, so that it stops before the descriptors it moves bytes to go away.
    std::unique_ptr<vhost::VirtioConsoleServer> server;
};

// Sets up the channel the configuration asks for; a virtio channel listens on
// a socket in dir before this returns, and on_server_end runs on the server's
// thread when it ends. Falls back to the serial line, with a notice, if the
// device server cannot start. Throws Error.
GuestChannel make_guest_channel(const LaunchConfig& config, const boost::filesystem::path& dir,
                                vhost::VirtioConsoleServer::EndHandler on_server_end);

} // namespace guestuml
