#include "root_fixups.hpp"

#include "chroot_path.hpp"
#include "tool_runner.hpp"

#include "guestuml/error.hpp"

#include <boost/filesystem/operations.hpp>
#include <fmt/format.h>
#include <fstream>

namespace fs = boost::filesystem;

namespace guestuml {

namespace {

void copy_program(const fs::path& from, const fs::path& to, fs::perms mode = fs::perms(0755))
{
    fs::remove(to);
    fs::copy_file(from, to);
    fs::permissions(to, mode);
}

// Replaces whatever is at link (a file, a link, an empty directory) with a symlink.
void force_symlink(const fs::path& target, const fs::path& link)
{
    if (fs::is_symlink(link) || fs::exists(link))
        fs::remove(link);
    fs::create_symlink(target, link);
}

void ensure_dir(const fs::path& dir, fs::perms mode)
{
    if (!fs::is_directory(dir)) {
        fs::remove(dir);
        fs::create_directories(dir);
    }
    fs::permissions(dir, mode);
}

void copy_tree(const fs::path& from, const fs::path& to)
{
    fs::create_directories(to);
    for (fs::recursive_directory_iterator it(from), end; it != end; ++it) {
        const fs::path dest = to / it->path().lexically_relative(from);
        if (fs::is_symlink(it->symlink_status()))
            fs::copy_symlink(it->path(), dest);
        else if (fs::is_directory(it->status()))
            fs::create_directories(dest);
        else
            fs::copy_file(it->path(), dest, fs::copy_options::overwrite_existing);
    }
}

} // namespace

void install_kernel_modules(const fs::path& chroot, const ApplianceInputs& inputs)
{
    const fs::path modules = chroot_path(chroot, "/lib/modules") / inputs.kernel_version;
    try {
        fs::remove_all(modules);
        copy_tree(inputs.modules, modules);
    } catch (const fs::filesystem_error& e) {
        throw Error(fmt::format("copying kernel modules {} into the appliance: {}",
                                inputs.modules.string(), e.what()));
    }
}

void install_guestuml_files(const fs::path& chroot, const ApplianceInputs& inputs)
{
    try {
        copy_program(inputs.init, chroot / "init");
        // The kernel's fallback when no init= is given.
        force_symlink("/init", chroot_path(chroot, "/sbin") / "init");

        // The shim must come first in PATH (/sbin:/usr/sbin:/bin:/usr/bin), the
        // real udevadm must stay reachable for the shim in /usr/bin.
        const fs::path sbin_udevadm = chroot_path(chroot, "/usr/sbin") / "udevadm";
        const fs::path bin_udevadm = chroot_path(chroot, "/usr/bin") / "udevadm";
        if (fs::is_regular_file(fs::symlink_status(sbin_udevadm)) && !fs::exists(bin_udevadm))
            fs::rename(sbin_udevadm, bin_udevadm);
        copy_program(inputs.udevadm_shim, sbin_udevadm);

        for (const char* dir : {"/proc", "/sys", "/dev", "/run", "/sysroot"})
            ensure_dir(chroot_path(chroot, dir), fs::perms(0755));
        for (const char* dir : {"/tmp", "/var/tmp"})
            ensure_dir(chroot_path(chroot, dir), fs::perms(01777));
        const fs::path etc = chroot_path(chroot, "/etc");
        if (!fs::exists(fs::symlink_status(etc / "mtab")))
            fs::create_symlink("../proc/mounts", etc / "mtab");
        const fs::path var = chroot_path(chroot, "/var");
        if (!fs::exists(fs::symlink_status(var / "lock")))
            fs::create_symlink("../run/lock", var / "lock");
        // The init writes a fresh one at each boot (over the in-memory overlay).
        std::ofstream(fs::path(etc / "machine-id").string(), std::ios::trunc);
    } catch (const fs::filesystem_error& e) {
        throw Error(fmt::format("installing guestuml's files into the appliance: {}", e.what()));
    }
}

void install_guestfsd_preloads(const fs::path& chroot, const ApplianceInputs& inputs, const fs::path& log)
{
    // These paths are fixed in guestuml-init and in the library itself.
    const fs::path dir = chroot_path(chroot, "/usr/lib") / "guestuml";
    const fs::path lenses = chroot_path(chroot, "/usr/share/augeas/lenses");
    try {
        ensure_dir(dir, fs::perms(0755));
        copy_program(inputs.augeas_preload, dir / "guestuml-augeas.so", fs::perms(0644));
        copy_program(inputs.vfork_preload, dir / "guestuml-vfork.so", fs::perms(0644));
        copy_program(inputs.channel_io_preload, dir / "guestuml-channel-io.so", fs::perms(0644));
    } catch (const fs::filesystem_error& e) {
        throw Error(fmt::format("installing guestfsd's preloads into the appliance: {}", e.what()));
    }
    if (!fs::is_directory(lenses / "dist"))
        throw Error(fmt::format("the appliance has no Augeas lenses in {} (is augeas-lenses installed?)",
                                (lenses / "dist").string()));
    // Some lenses' globs are under $HOME, and guestfsd runs with HOME=/
    // (guestuml-init's daemon_environment); the library checks it matches.
    run_tool({inputs.augeas_table.string(), (dir / "augeas-autoload.table").string(), lenses.string(),
              (lenses / "dist").string()},
             log, {"HOME=/"});
}

} // namespace guestuml
