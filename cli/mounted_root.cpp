#include "mounted_root.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <utility>
#include <vector>

namespace guestuml::cli {

bool mountpoint_order(const std::string& a, const std::string& b)
{
    if (a.size() != b.size())
        return a.size() < b.size();
    return a < b;
}

MountedRoot::MountedRoot(GuestfsSession& session, const std::string& root, bool read_only)
    : session_(session)
{
    char** list = guestfs_inspect_get_mountpoints(session.get(), root.c_str());
    if (!list)
        session.fail(fmt::format("listing the mountpoints of {}", root));
    const auto flat = take_string_list(list);
    std::vector<std::pair<std::string, std::string>> mounts;
    for (std::size_t i = 0; i + 1 < flat.size(); i += 2)
        mounts.emplace_back(flat[i], flat[i + 1]);
    // Parents before children: /usr must be mounted before /usr/local.
    std::sort(mounts.begin(), mounts.end(),
              [](const auto& a, const auto& b) { return mountpoint_order(a.first, b.first); });
    for (const auto& [mountpoint, device] : mounts) {
        // A failed mount (a missing /home disk, an unknown filesystem) leaves the
        // rest usable; virt-inspector carries on in the same way.
        if (read_only)
            guestfs_mount_ro(session.get(), device.c_str(), mountpoint.c_str());
        else
            guestfs_mount(session.get(), device.c_str(), mountpoint.c_str());
    }
}

MountedRoot::~MountedRoot()
{
    guestfs_umount_all(session_.get());
}

} // namespace guestuml::cli
