// A client for UML's management console: one datagram request, one reply
// (arch/um/drivers/mconsole*.c). The socket is uml_dir/umid/mconsole.
#pragma once

#include <boost/filesystem/path.hpp>
#include <chrono>
#include <string>

namespace guestuml {

struct MconsoleReply {
    bool ok = false;       // the kernel reported no error
    std::string text;      // the reply text (all parts concatenated)
};

// Sends command ("cad", "version", "sysrq s", ...) and waits up to timeout for the
// complete reply. Throws Error if the socket is absent or nothing answers in time.
MconsoleReply mconsole_command(const boost::filesystem::path& socket, const std::string& command,
                               std::chrono::milliseconds timeout = std::chrono::seconds(2));

} // namespace guestuml
