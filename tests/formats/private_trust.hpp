// What the https and ssh tests need the host to trust, without touching the
// host: inside a private mount namespace of the test process, a CA bundle is
// bound over the system's and a directory over the user's ~/.ssh. Children
// (libguestfs's qemu-img, guestuml-qemu, qemu-storage-daemon) inherit the view;
// it ends with the test process.
#pragma once

#include <boost/filesystem/path.hpp>

namespace guestuml::formats::test {

// Moves this process into a mount namespace of its own whose mounts do not
// propagate back. Must run before the process starts threads; needs root.
// Throws Error saying why it cannot.
void enter_private_mount_namespace();

// The bundle curl (GnuTLS) reads: Debian's /etc/ssl/certs/ca-certificates.crt.
boost::filesystem::path system_ca_bundle();

// The ~/.ssh libssh reads: the passwd entry's home, not $HOME.
boost::filesystem::path user_ssh_dir();

// Binds source over target for its lifetime. A target that did not exist is
// made empty for the bind and removed afterwards. Throws Error.
class BindMount {
public:
    BindMount(const boost::filesystem::path& source, const boost::filesystem::path& target);
    ~BindMount();
    BindMount(const BindMount&) = delete;
    BindMount& operator=(const BindMount&) = delete;

private:
    boost::filesystem::path target_;
    bool made_target_ = false;
};

} // namespace guestuml::formats::test
