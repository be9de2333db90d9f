#include "guestuml/uml_sandbox.hpp"

#include <boost/filesystem/operations.hpp>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

namespace fs = boost::filesystem;

namespace guestuml {

SandboxPolicy uml_sandbox_policy(const UmlSandboxPaths& paths)
{
    SandboxPolicy policy;
    policy.read_only = {
        paths.kernel,
        paths.root,
        // The dynamic loader and the C library (Debian's linux.uml is dynamically linked).
        "/usr/lib", "/lib", "/lib64", "/etc/ld.so.cache",
        // UML's random driver reads the host's generator.
        "/dev/urandom", "/dev/random",
    };
    // The appliance's kernel may be a symlink into the cache or /usr/bin.
    boost::system::error_code ec;
    if (const fs::path real = fs::canonical(paths.kernel, ec); !ec && real != paths.kernel)
        policy.read_only.push_back(real);
    policy.read_write = {paths.uml_dir, paths.memory_dir};
    policy.network = false;
    return policy;
}

fs::path memory_file_parent(const fs::path& fallback)
{
    struct statfs st;
    if (::statfs("/dev/shm", &st) == 0 && st.f_type == TMPFS_MAGIC && ::access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return fallback;
}

} // namespace guestuml
