// Reads the remote drive names libguestfs 1.48 writes into -drive file=
// (lib/qemu.c, guestfs_int_drive_source_qemu_param): "nbd:HOST:PORT",
// "nbd:unix:SOCKET", each with an optional ":exportname=NAME", and URLs
// "SCHEME://[USER[:PASSWORD]@]HOST[:PORT]/PATH" for http, https, ftp, ftps, ssh
// (and the protocols guestuml does not serve: iscsi, gluster, rbd, ...). Pure.
#pragma once

#include "guestuml/disk.hpp"

#include <optional>
#include <string>

namespace guestuml::plugin {

// nullopt when file is a local path (qemu reads a name as a protocol only when a
// colon comes before any slash; libguestfs passes local files as absolute paths).
// Throws Error quoting the name when it names a protocol guestuml does not
// serve, or is malformed.
std::optional<RemoteSource> parse_remote_drive(const std::string& file);

} // namespace guestuml::plugin
