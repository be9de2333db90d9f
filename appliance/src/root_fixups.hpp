// The changes that make supermin's libguestfs chroot run under guestuml-init
// instead of libguestfs's shell init and udev.
#pragma once

#include "guestuml/appliance_cache.hpp"

#include <boost/filesystem/path.hpp>

namespace guestuml {

// Copies the kernel modules into chroot's /lib/modules/VERSION (the kernel loads
// filesystems and dm targets on demand through modprobe). Throws Error.
void install_kernel_modules(const boost::filesystem::path& chroot, const ApplianceInputs& inputs);

// /init (and /sbin/init) = guestuml-init, /usr/sbin/udevadm = the shim (the real
// one kept in /usr/bin), plus the directories and links our init expects to
// find. Throws Error.
void install_guestuml_files(const boost::filesystem::path& chroot, const ApplianceInputs& inputs);

// /usr/lib/guestuml/guestuml-augeas.so, guestuml-vfork.so and
// guestuml-channel-io.so, which guestuml-init preloads into guestfsd, and the Augeas library's table of the
// chroot's lens modules, written by guestuml-augeas-table (its output appended
// to log). Throws Error.
void install_guestfsd_preloads(const boost::filesystem::path& chroot, const ApplianceInputs& inputs,
                            const boost::filesystem::path& log);

} // namespace guestuml
