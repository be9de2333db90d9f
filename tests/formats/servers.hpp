// Servers the format tests start on loopback and Unix sockets only: qemu-nbd
// (TCP and Unix socket) and range_http_server.py, which answers Range requests
// as qemu's curl driver needs (python's http.server does not). Each is killed
// when its owner goes.
#pragma once

#include "guestuml/process.hpp"

#include <boost/filesystem/path.hpp>
#include <string>
#include <vector>

namespace guestuml::formats::test {

class Server {
public:
    // Starts argv and waits (up to 20 s) until a connection to the TCP port on
    // 127.0.0.1 (port != 0) or to the Unix socket succeeds. Throws Error.
    Server(const std::vector<std::string>& argv, unsigned port, const boost::filesystem::path& socket = {});
    pid_t pid() const { return process_.pid(); }

private:
    Process process_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
unsigned free_port();

// A listening TCP socket that never accepts: a server that does not answer.
class SilentServer {
public:
    SilentServer();
    ~SilentServer();
    SilentServer(const SilentServer&) = delete;
    SilentServer& operator=(const SilentServer&) = delete;
    unsigned port() const { return port_; }

private:
    int fd_ = -1;
    unsigned port_ = 0;
};

} // namespace guestuml::formats::test
