#include "curl_nbd_server.hpp"

#include "guestuml/error.hpp"

#include <boost/filesystem/operations.hpp>
#include <chrono>
#include <fmt/format.h>
#include <poll.h>

namespace fs = boost::filesystem;

namespace guestuml {
namespace {

constexpr std::chrono::seconds start_timeout{30};

// A server that stops answering mid-session: the guest's read fails after this
// instead of waiting for ever. Generous: one request is at most 32 MiB.
constexpr int request_timeout_seconds = 60;

} // namespace

bool is_curl_url(const std::string& name)
{
    const auto scheme_end = name.find("://");
    return scheme_end != std::string::npos && is_curl_protocol(std::string_view(name).substr(0, scheme_end));
}

CurlNbdServer::CurlNbdServer(const std::string& url, const fs::path& dir, const std::string& name, int log_fd)
{
    source_.protocol = "nbd";
    source_.socket = dir / (name + ".sock");
    source_.url = url;
    const fs::path pid_file = dir / (name + ".pid");

    SpawnOptions opts;
    // The pid file appears once nbdkit listens. protocols= keeps redirects to
    // the schemes qemu's driver allows.
    opts.argv = {"nbdkit", "--foreground", "--readonly", "--exit-with-parent",
                 "--unix", source_.socket.string(), "--pidfile", pid_file.string(),
                 "curl", "url=" + url, "protocols=http,https,ftp,ftps",
                 fmt::format("timeout={}", request_timeout_seconds)};
    opts.fds = {{log_fd, 1}, {log_fd, 2}};
    try {
        process_ = Process(opts);
    } catch (const Error& e) {
        throw Error(fmt::format("disk {}: cannot start nbdkit's curl plugin (is nbdkit installed?): {}", url,
                                e.what()));
    }

    const auto deadline = std::chrono::steady_clock::now() + start_timeout;
    for (;;) {
        if (fs::exists(pid_file))
            return;
        pollfd p{process_.exit_fd(), POLLIN, 0};
        if (::poll(&p, 1, 10) > 0) {
            const int status = process_.wait();
            throw Error(fmt::format("disk {}: nbdkit's curl plugin {} before serving it", url,
                                    describe_wait_status(status)));
        }
        if (std::chrono::steady_clock::now() >= deadline)
            throw Error(fmt::format("disk {}: nbdkit's curl plugin did not start within {} s", url,
                                    start_timeout.count()));
    }
}

} // namespace guestuml
