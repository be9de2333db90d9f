// The guestuml appliance: a libguestfs "fixed appliance" directory (kernel,
// initrd, root, README.fixed) built with supermin around the UML kernel, kept in
// a cache and rebuilt when any input changes.
#pragma once

#include <boost/filesystem/path.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace guestuml {

struct ApplianceFiles {
    boost::filesystem::path dir;      // the fixed appliance directory (LIBGUESTFS_PATH)
    boost::filesystem::path kernel;   // dir/kernel: the UML kernel binary
    boost::filesystem::path initrd;   // dir/initrd: unused by UML, present for libguestfs
    boost::filesystem::path root;     // dir/root: ext2 root filesystem, never written
};

using ProgressFn = std::function<void(std::string_view message)>;

// guestuml's own minimal UML kernel, built from a Debian linux-source tarball
// with the configuration and patches in appliance/kernel/ (see docs/kernel.md).
struct MinimalKernelSpec {
    boost::filesystem::path source_tarball;   // e.g. /usr/src/linux-source-6.12.tar.xz
    boost::filesystem::path kernel_dir;       // build-kernel.sh, guestuml.config, patches
};

// Which UML kernel the appliance boots: $GUESTUML_APPLIANCE_KERNEL.
enum class KernelChoice { debian, minimal };

// Everything the appliance is made from; a change to any of them rebuilds it.
struct ApplianceInputs {
    boost::filesystem::path supermin_d;     // libguestfs's supermin.d
    boost::filesystem::path kernel;         // UML kernel binary ($GUESTUML_KERNEL)
    boost::filesystem::path modules;        // its modules directory ($GUESTUML_MODULES)
    std::string kernel_version;             // the modules' version directory name
    boost::filesystem::path init;           // our static PID 1
    boost::filesystem::path udevadm_shim;   // our udevadm that makes "settle" free
    boost::filesystem::path augeas_preload; // guestuml-augeas.so: Augeas compiles only the lenses it needs
    boost::filesystem::path augeas_table;   // the program that writes that library's table
    boost::filesystem::path vfork_preload;  // guestuml-vfork.so: guestfsd's commands start with vfork
    boost::filesystem::path channel_io_preload;  // guestuml-channel-io.so: fewer system calls on the channel
    boost::filesystem::path lazy_loader;    // guestuml-lazy-loader.so: behind the builder's lazy library stubs
    // With minimal_kernel set, kernel, modules and kernel_version are filled in
    // by ensure_appliance() from the kernel cache (building the kernel first).
    std::optional<MinimalKernelSpec> minimal_kernel;
};

// $GUESTUML_APPLIANCE_KERNEL ("minimal" or "debian"), else the default
// (default_kernel_choice). Throws Error for any other value.
KernelChoice kernel_choice();
inline constexpr KernelChoice default_kernel_choice = KernelChoice::minimal;
std::string_view kernel_choice_name(KernelChoice choice);

// The defaults: the chosen kernel (kernel_choice(); $GUESTUML_KERNEL and
// $GUESTUML_MODULES name a kernel explicitly and win), libguestfs's supermin.d
// and our helpers (installed or in the build tree).
ApplianceInputs default_appliance_inputs();

// The minimal kernel for spec from the cache (<cache>/kernel-KEY/), built first
// if needed (10-30 min, progress reported). Fills kernel, modules and
// kernel_version. Safe when several processes call it at once. Throws Error.
struct BuiltKernel {
    boost::filesystem::path kernel;
    boost::filesystem::path modules;
    std::string version;
};
BuiltKernel ensure_minimal_kernel(const MinimalKernelSpec& spec, const ProgressFn& progress = {});

// $GUESTUML_CACHE, else $XDG_CACHE_HOME/guestuml, else ~/.cache/guestuml.
boost::filesystem::path appliance_cache_dir();

// Returns the cached appliance for these inputs, building it first if needed.
// Safe when several processes call it at once (they wait on a lock). Throws Error.
ApplianceFiles ensure_appliance(const ApplianceInputs& inputs, const ProgressFn& progress = {});

// Removes every cached appliance. Throws Error.
void clean_appliance_cache();

} // namespace guestuml
