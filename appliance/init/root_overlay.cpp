#include "root_overlay.hpp"

#include "sys.hpp"

#include "guestuml/error.hpp"

#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace guestuml::init {

namespace {

// The staging area lives on the old root's /run: a directory every image has.
// After the pivot it disappears with the old root; the overlay keeps its own
// reference to the upper layer.
constexpr const char* staging = "/run";
constexpr const char* upper = "/run/rw/upper";
constexpr const char* work = "/run/rw/work";
constexpr const char* new_root = "/run/rw/root";

} // namespace

void make_root_writable()
{
    mount_fs("guestuml-rw", staging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    make_dir("/run/rw");
    make_dir(upper);
    make_dir(work);
    make_dir(new_root);
    mount_fs("guestuml-root", new_root, "overlay", 0,
             fmt::format("lowerdir=/,upperdir={},workdir={}", upper, work));

    for (const char* fs : {"/proc", "/sys", "/dev"}) {
        const std::string target = std::string(new_root) + fs;
        mount_fs(fs, target, "", MS_MOVE);
    }
    if (::chdir(new_root) == -1)
        throw_errno(fmt::format("chdir {}", new_root));
    // pivot_root(".", ".") stacks the old root on top of the new one; detaching
    // "." then drops it without needing a directory to park it in.
    if (::syscall(SYS_pivot_root, ".", ".") == -1)
        throw_errno(fmt::format("pivot_root to {}", new_root));
    if (::umount2(".", MNT_DETACH) == -1)
        throw_errno("detach the old root");
    if (::chdir("/") == -1)
        throw_errno("chdir / in the new root");
}

} // namespace guestuml::init
