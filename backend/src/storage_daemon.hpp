// One qemu-storage-daemon serving every user disk of an instance as a
// vhost-user-blk export on a Unix socket we bind ourselves. Read-only disks get a
// private qcow2 overlay, so the guest may write (journal replay) without touching
// the image.
#pragma once

#include "guestuml/disk.hpp"
#include "guestuml/process.hpp"

#include <boost/filesystem/path.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace guestuml {

struct ServedDisk {
    boost::filesystem::path socket;   // vhost-user-blk socket, for virtio_uml.device=
    std::string format;               // the image format used (probed if the caller gave none)
    bool format_probed = false;
    boost::filesystem::path overlay;  // the private overlay of a read-only disk (else empty)
};

class StorageDaemon {
public:
    // Prepares overlays and starts the daemon with its sockets in session_dir.
    // Throws Error naming the disk when qemu-img fails or the daemon cannot start.
    StorageDaemon(const std::vector<DiskSpec>& disks, const boost::filesystem::path& session_dir);
    StorageDaemon(const StorageDaemon&) = delete;
    StorageDaemon& operator=(const StorageDaemon&) = delete;
    ~StorageDaemon();

    const std::vector<ServedDisk>& disks() const noexcept { return served_; }
    Process& process() noexcept { return process_; }
    // What the daemon wrote on stderr (for error messages), at most a few KB.
    std::string error_output() const;
    // SIGTERM (it flushes writable images), then SIGKILL after timeout. Returns
    // false if it had to be killed or failed. Never throws.
    bool stop(std::chrono::milliseconds timeout = std::chrono::seconds(5)) noexcept;

private:
    std::vector<ServedDisk> served_;
    boost::filesystem::path stderr_file_;
    Process process_;
};

// The format qemu-img detects for an image ("raw", "qcow2", ...). Throws Error.
std::string probe_image_format(const boost::filesystem::path& image);

} // namespace guestuml
