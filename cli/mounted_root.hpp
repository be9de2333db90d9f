// An inspected OS mounted at / in the appliance (like guestfish -i), unmounted
// again when the owner goes out of scope.
#pragma once

#include "guestfs_session.hpp"

#include <string>

namespace guestuml::cli {

class MountedRoot {
public:
    // Mounts root's filesystems, shortest mountpoint first; a filesystem that will
    // not mount is skipped, as virt-inspector does. read_only: mount_ro. Throws Error.
    MountedRoot(GuestfsSession& session, const std::string& root, bool read_only = true);
    ~MountedRoot();
    MountedRoot(const MountedRoot&) = delete;
    MountedRoot& operator=(const MountedRoot&) = delete;

private:
    GuestfsSession& session_;
};

// The sort virt-inspector applies to mountpoints: by length, then by name.
bool mountpoint_order(const std::string& a, const std::string& b);

} // namespace guestuml::cli
