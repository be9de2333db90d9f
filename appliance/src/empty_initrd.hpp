// The appliance's initrd: UML boots the root image directly, but libguestfs's
// fixed-appliance code wants an initrd file, so it gets a valid, empty one.
#pragma once

#include <boost/filesystem/path.hpp>
#include <string>

namespace guestuml {

// An empty "newc" cpio archive: only the TRAILER!!! entry, padded to 512 bytes.
std::string empty_newc_cpio();

// Writes empty_newc_cpio() to path. Throws Error.
void write_empty_initrd(const boost::filesystem::path& path);

} // namespace guestuml
