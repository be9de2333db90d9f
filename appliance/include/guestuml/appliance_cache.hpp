// The guestuml appliance: a libguestfs "fixed appliance" directory (kernel,
// initrd, root, README.fixed) built with supermin around the UML kernel, kept in
// a cache and rebuilt when any input changes.
#pragma once

#include <boost/filesystem/path.hpp>
#include <functional>
#include <string>
#include <string_view>

namespace guestuml {

struct ApplianceFiles {
    boost::filesystem::path dir;      // the fixed appliance directory (LIBGUESTFS_PATH)
    boost::filesystem::path kernel;   // dir/kernel: the UML kernel binary
    boost::filesystem::path initrd;   // dir/initrd: unused by UML, present for libguestfs
    boost::filesystem::path root;     // dir/root: ext2 root filesystem, never written
};

// Everything the appliance is made from; a change to any of them rebuilds it.
struct ApplianceInputs {
    boost::filesystem::path supermin_d;     // libguestfs's supermin.d
    boost::filesystem::path kernel;         // UML kernel binary ($GUESTUML_KERNEL)
    boost::filesystem::path modules;        // its modules directory ($GUESTUML_MODULES)
    std::string kernel_version;             // the modules' version directory name
    boost::filesystem::path init;           // our static PID 1
    boost::filesystem::path udevadm_shim;   // our udevadm that makes "settle" free
};

// The defaults: Debian's linux.uml and its modules, libguestfs's supermin.d and
// our helpers (installed or in the build tree); environment overrides applied.
ApplianceInputs default_appliance_inputs();

// $GUESTUML_CACHE, else $XDG_CACHE_HOME/guestuml, else ~/.cache/guestuml.
boost::filesystem::path appliance_cache_dir();

using ProgressFn = std::function<void(std::string_view message)>;

// Returns the cached appliance for these inputs, building it first if needed.
// Safe when several processes call it at once (they wait on a lock). Throws Error.
ApplianceFiles ensure_appliance(const ApplianceInputs& inputs, const ProgressFn& progress = {});

// Removes every cached appliance. Throws Error.
void clean_appliance_cache();

} // namespace guestuml
