#include "mounts.hpp"

#include "sys.hpp"

#include "guestuml/error.hpp"

#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/random.h>

namespace guestuml::init {

namespace {

void mount_once(const std::string& source, const std::string& target, const std::string& type,
                unsigned long flags, const std::string& data = {})
{
    if (is_mounted(target, type))
        return;
    make_dir(target);
    mount_fs(source, target, type, flags, data);
}

std::string random_machine_id()
{
    unsigned char bytes[16];
    if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes))
        throw_errno("getrandom for /etc/machine-id");
    std::string id;
    for (unsigned char b : bytes)
        id += fmt::format("{:02x}", b);
    return id + "\n";
}

} // namespace

void mount_kernel_filesystems()
{
    mount_once("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    mount_once("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    mount_once("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
}

void prepare_runtime_paths(bool root_writable, const BootLog& log)
{
    mount_once("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=000");
    mount_once("shmfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mount_once("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "size=20%,mode=0755");
    make_dir("/run/lock", 01777);

    make_symlink("/proc/self/fd", "/dev/fd");
    make_symlink("/proc/self/fd/0", "/dev/stdin");
    make_symlink("/proc/self/fd/1", "/dev/stdout");
    make_symlink("/proc/self/fd/2", "/dev/stderr");
    make_dir("/dev/disk");
    make_dir("/dev/disk/by-path");
    make_dir("/dev/virtio-ports");

    if (!root_writable) {
        log.note("read-only root: keeping the image's /etc/mtab and /etc/machine-id");
        return;
    }
    make_dir("/sysroot");
    make_dir("/tmp", 01777);
    make_dir("/var/tmp", 01777);
    if (!exists("/var/lock"))
        make_symlink("../run/lock", "/var/lock");
    if (!exists("/etc/mtab"))
        make_symlink("../proc/mounts", "/etc/mtab");
    // Each boot is a new machine, as with libguestfs's own init.
    write_file("/etc/machine-id", random_machine_id(), 0444);
}

void mount_scratch_tmpfs(const BootLog& log)
{
    struct Scratch {
        const char* dir;
        const char* options;
    };
    for (const Scratch& s : {Scratch{"/tmp", "mode=1777"}, Scratch{"/run", "mode=0755"},
                             Scratch{"/var/tmp", "mode=1777"}}) {
        try {
            mount_once("tmpfs", s.dir, "tmpfs", MS_NOSUID | MS_NODEV, s.options);
        } catch (const Error& e) {
            log.warn(e.what());
        }
    }
}

} // namespace guestuml::init
