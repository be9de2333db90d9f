// An image on an http, https, ftp or ftps server, served read-only on a Unix
// socket by nbdkit's curl plugin, for qemu-storage-daemon to read as nbd.
//
// Why not qemu's own curl driver: in qemu 7.2 (Debian 12) it handles one
// finished transfer per wake-up, so two transfers that end together leave one
// of its eight connection slots taken for good; once all eight are taken, every
// later read waits for ever. With a few requests in flight (a guest reading a
// disk) that happens within a few hundred MiB. nbdkit's plugin runs one request
// at a time on plain libcurl.
#pragma once

#include "guestuml/disk.hpp"
#include "guestuml/process.hpp"

#include <boost/filesystem/path.hpp>
#include <string>

namespace guestuml {

class CurlNbdServer {
public:
    // Starts nbdkit for url with its socket and pid file in dir (named after
    // name), its messages going to log_fd, and returns once it listens. Throws
    // Error, with nbdkit's own words where it gave any, if it does not start.
    CurlNbdServer(const std::string& url, const boost::filesystem::path& dir, const std::string& name, int log_fd);

    // The nbd source qemu reaches the image through; its url is the original, for messages.
    const RemoteSource& source() const noexcept { return source_; }
    Process& process() noexcept { return process_; }
    pid_t pid() const noexcept { return process_.pid(); }

private:
    RemoteSource source_;
    Process process_;
};

// True for a URL qemu would open with its curl driver: http, https, ftp, ftps.
bool is_curl_url(const std::string& name);

} // namespace guestuml
