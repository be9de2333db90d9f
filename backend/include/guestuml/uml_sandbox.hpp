// The sandbox UML runs in: it reads the kernel, the appliance and the host's
// shared libraries, writes only its uml_dir and the directory of its memory
// file, and has no network. It never opens a user's image: qemu-storage-daemon
// does, and hands UML only sockets.
#pragma once

#include "guestuml/sandbox.hpp"

#include <boost/filesystem/path.hpp>

namespace guestuml {

struct UmlSandboxPaths {
    boost::filesystem::path kernel;      // the UML binary
    boost::filesystem::path root;        // the appliance root image (opened read-only)
    boost::filesystem::path uml_dir;     // mconsole socket and pid file
    boost::filesystem::path memory_dir;  // where UML makes its physical-memory file ($TMPDIR)
};

SandboxPolicy uml_sandbox_policy(const UmlSandboxPaths& paths);

// Where UML's memory file should live: a tmpfs (/dev/shm) when there is one, so
// guest memory is never written back to disk; otherwise fallback.
boost::filesystem::path memory_file_parent(const boost::filesystem::path& fallback);

} // namespace guestuml
