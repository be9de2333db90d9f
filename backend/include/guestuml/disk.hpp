// A disk image the appliance should see, in /dev/sdX order.
#pragma once

#include <boost/filesystem/path.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace guestuml {

// A disk served by a network server instead of a local file, as qemu's block
// drivers reach it (nbd, curl for http/https/ftp/ftps, libssh for ssh).
struct RemoteSource {
    std::string protocol;              // "nbd", "http", "https", "ftp", "ftps" or "ssh"
    std::string host;                  // TCP server; empty when socket is set
    unsigned port = 0;                 // 0: the protocol's default port
    boost::filesystem::path socket;    // Unix socket of an nbd server
    // nbd: the export name (empty: the server's default export).
    // ssh: the file's path on the server (decoded). Curl protocols: the URL's path.
    std::string path;
    std::string user;                  // user name for ssh and the curl protocols (optional)
    // The URL as libguestfs wrote it (curl protocols hand it to curl unchanged).
    std::string url;

    bool operator==(const RemoteSource&) const = default;
};

struct DiskSpec {
    boost::filesystem::path path;   // image file or block device (unused when remote)
    // qemu block driver of the image ("raw", "qcow2", "vmdk", ...). Empty: the
    // format is probed, as qemu does for a drive given without format=.
    std::string format;
    // The image is opened read-only; the guest's writes go to a private overlay.
    bool read_only = false;
    // Set: the image is on a server rather than in path.
    std::optional<RemoteSource> remote;
    // False: the image's backing file is opened without file locks (libguestfs's
    // file.backing.file.locking=off for the overlay over a read-only drive, so an
    // image another program has open can still be inspected).
    bool lock_backing = true;
    // The guest's discard requests reach the image (qemu's discard=unmap); else
    // they are ignored, qemu's default.
    bool discard = false;

    // "/path/to/file" or "nbd://host:port/export": for messages.
    std::string describe() const;
};

// Checks what can be checked before any process starts (exists, is a regular
// file or block device, readable, writable unless read_only; a remote source
// names a server and a protocol guestuml knows). Throws Error naming the disk.
void validate_disk(const DiskSpec& disk);

// Protocols guestuml serves through qemu's block drivers.
bool is_supported_protocol(const std::string& protocol);

// http, https, ftp, ftps: read-only, read through nbdkit's curl plugin.
bool is_curl_protocol(std::string_view protocol);

} // namespace guestuml
