// Paths inside a chroot tree, following its symlinks as the guest would see
// them (/lib -> usr/lib, /sbin -> usr/sbin) without ever leaving the tree.
#pragma once

#include <boost/filesystem/path.hpp>

namespace guestuml {

// The host path of guest_path ("/lib/modules") in the tree at root, every
// symlink among its existing components resolved relative to root.
boost::filesystem::path chroot_path(const boost::filesystem::path& root,
                                    const boost::filesystem::path& guest_path);

} // namespace guestuml
