// The sandbox qemu-storage-daemon runs in (see guestuml/sandbox.hpp): it may
// read the session's read-only images and every file of their backing chains,
// write the writable images and the session directory (overlays, sockets, pid
// file), and read the host's libraries and qemu's block modules. It gets the
// network only when a disk is remote, and then the files name resolution,
// TLS and ssh need.
#pragma once

#include "guestuml/disk.hpp"
#include "guestuml/sandbox.hpp"

#include <boost/filesystem/path.hpp>
#include <vector>

namespace guestuml {

// Throws Error if a backing chain cannot be read (the daemon would fail on it anyway).
SandboxPolicy storage_sandbox_policy(const std::vector<DiskSpec>& disks, const boost::filesystem::path& session_dir);

} // namespace guestuml
