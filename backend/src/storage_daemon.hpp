// One qemu-storage-daemon serving every user disk of an instance as a
// vhost-user-blk export on a Unix socket we bind ourselves. Read-only disks get a
// private qcow2 overlay, so the guest may write (journal replay) without touching
// the image.
#pragma once

#include "curl_nbd_server.hpp"
#include "guestuml/disk.hpp"
#include "guestuml/process.hpp"

#include <boost/filesystem/path.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace guestuml {

struct ServedDisk {
    boost::filesystem::path socket;   // vhost-user-blk socket, for virtio_uml.device=
    std::string format;               // the image format used (probed if the caller gave none)
    bool format_probed = false;
    std::string notice;               // a line for the user about the disk (a probed format), or empty
    boost::filesystem::path overlay;  // the private overlay of a read-only disk (else empty)
};

class StorageDaemon {
public:
    // Prepares overlays and starts the daemon with its sockets in session_dir.
    // Throws Error naming the disk when qemu-img fails, a local qcow2 chain is
    // incomplete (missing backing file, truncated image) or the daemon cannot
    // start. If the disks are not open within GUESTUML_DISK_OPEN_TIMEOUT seconds
    // (default 60: a remote server that does not answer), the daemon is killed,
    // with the reason in error_output().
    StorageDaemon(const std::vector<DiskSpec>& disks, const boost::filesystem::path& session_dir);
    StorageDaemon(const StorageDaemon&) = delete;
    StorageDaemon& operator=(const StorageDaemon&) = delete;
    ~StorageDaemon();

    const std::vector<ServedDisk>& disks() const noexcept { return served_; }
    Process& process() noexcept { return process_; }
    // The nbdkit processes serving URLs to the daemon (for a janitor to kill).
    std::vector<pid_t> helper_pids() const;
    // What the daemon wrote on stderr (for error messages), at most a few KB.
    std::string error_output() const;
    // SIGTERM (it flushes writable images), then SIGKILL after timeout. Returns
    // false if it had to be killed or failed. Never throws.
    bool stop(std::chrono::milliseconds timeout = std::chrono::seconds(5)) noexcept;

private:
    void watch_open(std::chrono::milliseconds timeout);
    bool stop_daemon(std::chrono::milliseconds timeout) noexcept;

    std::vector<CurlNbdServer> curl_servers_;   // http(s)/ftp(s) images, read for the daemon
    std::vector<ServedDisk> served_;
    boost::filesystem::path stderr_file_;
    boost::filesystem::path pid_file_;
    Process process_;
    std::mutex watchdog_mutex_;
    std::condition_variable watchdog_cv_;
    bool watchdog_stop_ = false;
    std::thread watchdog_;
};

// The format qemu-img detects for a disk's image ("raw", "qcow2", ...). Throws Error.
std::string probe_image_format(const DiskSpec& disk);

} // namespace guestuml
