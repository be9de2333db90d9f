// Unix-domain sockets by path: a listening stream socket to hand to a server
// process, and a datagram client socket for UML's mconsole.
#pragma once

#include "guestuml/unique_fd.hpp"

#include <boost/filesystem/path.hpp>

namespace guestuml {

// Binds and listens on a new stream socket at path (close-on-exec). Throws Error,
// also when the path is too long for sockaddr_un.
UniqueFd listen_unix(const boost::filesystem::path& path);

// A datagram socket bound to reply_path, so that the peer can reply, and
// connected to path. The caller removes reply_path. Throws Error.
UniqueFd connect_unix_datagram(const boost::filesystem::path& path, const boost::filesystem::path& reply_path);

} // namespace guestuml
