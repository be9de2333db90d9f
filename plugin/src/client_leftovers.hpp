// libguestfs keeps guestfsd's listening socket and its read-only overlays in
// libguestfsXXXXXX directories that only guestfs_close() removes. A client that is
// SIGKILLed never gets there, so guestuml-qemu, which outlives it by a moment,
// removes them once it is sure the client is gone.
#pragma once

#include "guestuml/unique_fd.hpp"

#include <boost/filesystem/path.hpp>
#include <chrono>
#include <vector>

namespace guestuml::plugin {

class ClientWatch {
public:
    // Watches this process's parent: the libguestfs client that ran us.
    ClientWatch();

    // True if the client has exited, waiting for it at most limit.
    bool gone_within(std::chrono::milliseconds limit) const;

private:
    UniqueFd pidfd_;   // empty when the kernel has no pidfd_open: then never "gone"
};

// Of paths (files libguestfs named on our command line), those that are
// libguestfs's own per-handle files: guestfsd.sock, overlayN.qcow2 in a
// libguestfsXXXXXX directory.
std::vector<boost::filesystem::path> client_leftovers(const std::vector<boost::filesystem::path>& paths);

// Removes leftovers (from client_leftovers()), then each directory of theirs that
// is left empty. Never throws: this runs on the way out.
void remove_client_leftovers(const std::vector<boost::filesystem::path>& leftovers) noexcept;

} // namespace guestuml::plugin
