// One running appliance: a UML kernel booted around the user's disks, its
// qemu-storage-daemon, its console and guestfsd's channel. Everything it starts
// lives in a private temporary directory and dies with it.
#pragma once

#include "guestuml/disk.hpp"
#include "guestuml/error.hpp"

#include <boost/filesystem/path.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace guestuml {

// How guestfsd's channel crosses from guest to host.
enum class ChannelKind {
    serial,   // a UML serial line (/dev/ttyS3) on the caller's descriptor: simple, slow for bulk data
    virtio,   // a vhost-user virtio-console port org.libguestfs.channel.0 (falls back to serial)
};

struct LaunchConfig {
    boost::filesystem::path kernel;        // the UML kernel binary (linux.uml)
    boost::filesystem::path root;          // appliance root filesystem image; never written
    std::vector<DiskSpec> disks;           // the user's disks, in /dev/sdX order
    unsigned memory_mb = 512;
    std::vector<std::string> kernel_args;  // extra parameters (guestfs_verbose=1, TERM=...)
    // A connected stream socket owned by the caller that carries guestfsd's
    // channel (a socket connected to libguestfs, say); its peer reads the launch
    // flag, so wait_ready() is not available then.
    // -1: the instance makes a socketpair and keeps the host end (see channel_fd()).
    int channel_fd = -1;
    ChannelKind channel = ChannelKind::virtio;
    // Receives each console line; empty: the console is only kept for error messages.
    std::function<void(std::string_view line)> console;
    // Where the session's temporary directory is made; empty: $TMPDIR, else /tmp.
    boost::filesystem::path temp_parent;
    // Confine UML (Landlock, no network, no new privileges; see sandbox.hpp).
    // Off only to debug the sandbox itself.
    bool sandbox = true;
    // Files of the process we serve (libguestfs's socket and overlays) that it
    // removes itself unless it is killed: if this process is killed as well,
    // they are removed once client_pid has exited. 0: no such files.
    pid_t client_pid = 0;
    std::vector<boost::filesystem::path> client_files;
};

// A launch or run-time failure; what() ends with the last console lines.
class LaunchError : public Error {
public:
    using Error::Error;
};

class UmlInstance {
public:
    // Validates the disks, then starts qemu-storage-daemon and UML. Returns as soon
    // as both run (use wait_ready() for guestfsd). Throws Error / LaunchError.
    explicit UmlInstance(LaunchConfig config);
    // Kills UML, its helper processes and the storage daemon; removes the temp dir.
    ~UmlInstance();
    UmlInstance(const UmlInstance&) = delete;
    UmlInstance& operator=(const UmlInstance&) = delete;

    // Host end of guestfsd's channel (the caller's descriptor, or the instance's own).
    int channel_fd() const;
    // Reads guestfsd's 4-byte launch flag from channel_fd(). Throws LaunchError
    // (with the console tail) on time-out, a wrong flag, or an early exit; UML is
    // killed first.
    void wait_ready(std::chrono::milliseconds timeout);
    // A descriptor that polls readable once UML has exited.
    int exit_fd() const;
    // Host pid of the process that contains UML (killing it ends every UML process).
    int uml_pid() const;
    // Asks the guest to sync and power off, waits up to grace, then kills whatever
    // is left and lets the storage daemon flush; a grace of 0 skips the asking.
    // Returns true if the guest powered off by itself (UML's exit status 1 after
    // a power-off counts as success).
    bool shutdown(std::chrono::milliseconds grace = std::chrono::seconds(10));
    // Kills everything now. Never throws.
    void kill() noexcept;
    // The last console lines, oldest first.
    std::vector<std::string> console_tail() const;
    // Why the backend stopped UML (the storage daemon died: a disk could not be
    // opened; the channel broke), or empty.
    std::string failure_reason() const;
    // The session's temporary directory (sockets, overlays, UML's uml_dir).
    const boost::filesystem::path& temp_dir() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace guestuml
