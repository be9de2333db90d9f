#include "storage_sandbox.hpp"

#include "qcow2_image.hpp"

#include <boost/filesystem/operations.hpp>
#include <cstdlib>
#include <pwd.h>
#include <unistd.h>
#include <vector>

namespace fs = boost::filesystem;

namespace guestuml {
namespace {

struct BackingChain {
    std::vector<fs::path> files;   // image excluded
    bool remote = false;           // it ends at a protocol name ("nbd:...", "http://...")
};

// image's qcow2 backing chain. libguestfs's overlay over a read-only remote drive
// is such a chain: a local qcow2 whose backing file is a URL.
BackingChain backing_chain(const fs::path& image)
{
    BackingChain chain;
    fs::path current = image;
    for (int depth = 0; depth < 64; ++depth) {
        const auto header = read_qcow2_header(current);
        if (!header || header->backing_file.empty())
            break;
        if (names_protocol(header->backing_file)) {
            chain.remote = true;
            break;
        }
        current = resolve_backing(current, header->backing_file);
        chain.files.push_back(current);
    }
    return chain;
}

// The home directory of the passwd entry of this process's user; empty if none.
fs::path passwd_home()
{
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (::getpwuid_r(::geteuid(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found || !found->pw_dir)
        return {};
    return found->pw_dir;
}

} // namespace

SandboxPolicy storage_sandbox_policy(const std::vector<DiskSpec>& disks, const fs::path& session_dir)
{
    SandboxPolicy policy;
    policy.read_only = {"/usr/bin/qemu-storage-daemon", "/usr/lib", "/lib", "/lib64", "/etc/ld.so.cache",
                        "/dev/urandom"};
    policy.read_write = {session_dir};
    for (const DiskSpec& disk : disks) {
        if (disk.remote) {
            policy.network = true;
            continue;
        }
        (disk.read_only ? policy.read_only : policy.read_write).push_back(disk.path);
        boost::system::error_code ec;
        if (fs::is_regular_file(disk.path, ec)) {
            const BackingChain chain = backing_chain(disk.path);
            policy.read_only.insert(policy.read_only.end(), chain.files.begin(), chain.files.end());
            policy.network = policy.network || chain.remote;
            // A vmdk descriptor names its extents beside it.
            if (disk.format == "vmdk" || disk.format.empty())
                policy.read_only.push_back(fs::absolute(disk.path).parent_path());
        }
    }
    if (policy.network) {
        // Name resolution, TLS certificates (curl), known hosts and keys (libssh).
        for (const char* p : {"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf",
                              "/etc/gai.conf", "/etc/services", "/etc/protocols", "/etc/passwd", "/etc/ssl",
                              "/etc/ssh", "/usr/share/ca-certificates", "/run/systemd/resolve"})
            policy.read_only.emplace_back(p);
        // libssh finds ~/.ssh through the passwd entry, OpenSSH-style tools through $HOME.
        if (const char* home = std::getenv("HOME"))
            policy.read_only.push_back(fs::path(home) / ".ssh");
        if (const auto home = passwd_home(); !home.empty())
            policy.read_only.push_back(home / ".ssh");
    }
    return policy;
}

} // namespace guestuml
