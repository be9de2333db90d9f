#include "appliance_builder.hpp"

#include "empty_initrd.hpp"
#include "lazy_libraries.hpp"
#include "root_fixups.hpp"
#include "tool_runner.hpp"

#include "guestuml/error.hpp"

#include <boost/filesystem/operations.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>

namespace fs = boost::filesystem;

namespace guestuml {

namespace {

constexpr std::uintmax_t block = 4096;

struct TreeSize {
    std::uintmax_t blocks = 0;
    std::uintmax_t inodes = 0;
};

// What an ext2 filesystem with 4 KiB blocks needs for the tree.
TreeSize measure_tree(const fs::path& root)
{
    TreeSize size{1, 1};
    for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
        ++size.inodes;
        const fs::file_status st = it->symlink_status();
        if (fs::is_regular_file(st)) {
            const std::uintmax_t data = (fs::file_size(it->path()) + block - 1) / block;
            size.blocks += data + data / 1024;   // plus indirect blocks
        } else if (fs::is_directory(st) || fs::is_symlink(st)) {
            size.blocks += 1;
        }
    }
    return size;
}

void make_root_image(const fs::path& chroot, const fs::path& image, const fs::path& log)
{
    const TreeSize tree = measure_tree(chroot);
    const std::uintmax_t inodes = tree.inodes + tree.inodes / 10 + 1024;
    // Metadata (inode tables, bitmaps, directories' growth) and a little room.
    const std::uintmax_t bytes = tree.blocks * block * 11 / 10 + inodes * 256 + (32u << 20);
    const std::uintmax_t kib = (bytes / 1024 + 1023) / 1024 * 1024;
    run_tool({"mke2fs", "-q", "-F", "-t", "ext2", "-b", "4096", "-m", "0", "-N",
              std::to_string(inodes), "-L", "guestuml-root", "-d", chroot.string(), image.string(),
              fmt::format("{}k", kib)},
             log);
}

void write_readme(const fs::path& path, const ApplianceInputs& inputs)
{
    std::ofstream out(path.string(), std::ios::trunc);
    out << "This is a libguestfs \"fixed appliance\" built by guestuml for User-mode Linux.\n"
           "\n"
           "kernel  a copy of the UML kernel " << inputs.kernel.string() << " (" << inputs.kernel_version << ")\n"
           "initrd  an empty cpio archive: UML boots the root image directly, libguestfs\n"
           "        only wants the file to exist\n"
           "root    an ext2 image made with supermin from " << inputs.supermin_d.string() << ",\n"
           "        with guestuml-init as /init, the udevadm shim as /usr/sbin/udevadm,\n"
           "        guestuml-augeas.so, guestuml-vfork.so and guestuml-channel-io.so in\n"
           "        /usr/lib/guestuml, lazy stubs of some of guestfsd's libraries in\n"
           "        /usr/lib/guestuml/lazy and the kernel modules in /lib/modules/" << inputs.kernel_version << "\n"
           "\n"
           "The root is opened read-only (ubd0r=); guestuml-init makes it writable in\n"
           "memory with an overlayfs. Nothing here is ever modified. Remove this directory\n"
           "(or run 'guestuml appliance clean') to have it rebuilt.\n"
           "inputs.txt lists what it was built from; build.log holds the tools' output.\n";
    if (!out.flush())
        throw Error(fmt::format("cannot write {}", path.string()));
}

} // namespace

void build_appliance(const fs::path& dir, const ApplianceInputs& inputs, const ProgressFn& progress)
{
    const auto say = [&](std::string_view message) {
        if (progress)
            progress(message);
    };
    const fs::path chroot = dir / "chroot";
    const fs::path log = dir / "build.log";

    say("running supermin on libguestfs's supermin.d (about 30 s)");
    run_tool({"supermin", "--build", "-f", "chroot", "-o", chroot.string(), inputs.supermin_d.string()},
             log,
             {"SUPERMIN_KERNEL=" + inputs.kernel.string(), "SUPERMIN_MODULES=" + inputs.modules.string(),
              "SUPERMIN_KERNEL_VERSION=" + inputs.kernel_version});

    say(fmt::format("adding kernel modules {} and guestuml's init", inputs.kernel_version));
    install_kernel_modules(chroot, inputs);
    install_guestuml_files(chroot, inputs);
    install_guestfsd_preloads(chroot, inputs, log);

    say("writing lazy stubs for guestfsd's rarely used libraries");
    const LazyLibrariesResult lazy = install_lazy_libraries(chroot, inputs.lazy_loader, log);
    if (!lazy.stubbed.empty())
        say(fmt::format("lazy stubs for {}", fmt::join(lazy.stubbed, ", ")));
    for (const auto& kept : lazy.kept)
        say(fmt::format("no lazy stub for {}", kept));

    say("making the ext2 root image");
    make_root_image(chroot, dir / "root", log);
    fs::remove_all(chroot);

    try {
        fs::copy_file(inputs.kernel, dir / "kernel");
        fs::permissions(dir / "kernel", fs::perms(0755));
    } catch (const fs::filesystem_error& e) {
        throw Error(fmt::format("copying the kernel {}: {}", inputs.kernel.string(), e.what()));
    }
    write_empty_initrd(dir / "initrd");
    write_readme(dir / "README.fixed", inputs);
}

} // namespace guestuml
