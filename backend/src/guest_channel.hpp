// guestfsd's channel as UML sees it. Today a serial line (ssl3=fd:N on
// /dev/ttyS3); the vhost-user virtio-console device plugs in here later and
// fills console_socket instead.
#pragma once

#include "guestuml/uml_instance.hpp"
#include "guestuml/unique_fd.hpp"

#include <boost/filesystem/path.hpp>
#include <string>

namespace guestuml {

struct GuestChannel {
    int host_fd = -1;           // what channel_fd() returns
    UniqueFd own_host_end;      // our end, when we made the pair
    int serial_fd = -1;         // descriptor UML gets for ssl3 (-1: no serial line)
    UniqueFd own_serial_end;    // UML's end of our pair; closed once UML runs
    boost::filesystem::path console_socket;   // vhost-user console (empty: none yet)
    std::string notice;         // one line for the console log, e.g. a fallback
};

// Sets up the channel the configuration asks for. Throws Error.
GuestChannel make_guest_channel(const LaunchConfig& config);

} // namespace guestuml
