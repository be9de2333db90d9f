// What libguestfs's inspection finds in a VM's disks, gathered as virt-inspector
// gathers it (same fields, same omissions, same ordering), ready to print.
#pragma once

#include "guestfs_session.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace guestuml::cli {

struct Filesystem {
    std::string dev;     // canonical device name, e.g. /dev/sda1
    std::string type;    // empty when unknown
    std::string label;   // empty when none
    std::string uuid;    // empty when none
};

struct Application {
    std::string name, display_name;
    int epoch = 0;       // 0: none (virt-inspector omits it)
    std::string version, release, arch, install_path, publisher, url, source_package,
        summary, description;
};

// One operating system. Scalar strings are empty where virt-inspector prints
// nothing ("unknown" or not applicable).
struct OperatingSystem {
    std::string root, name, arch, distro, product_name, product_variant;
    int major_version = 0;
    int minor_version = 0;
    std::string windows_systemroot, windows_current_control_set, package_format,
        package_management, hostname, osinfo;
    std::vector<std::pair<std::string, std::string>> mountpoints;      // (mountpoint, dev), shortest first
    std::vector<Filesystem> filesystems;                               // sorted by device
    std::vector<std::pair<std::string, std::string>> drive_mappings;   // (letter, dev), Windows only
    std::optional<std::vector<Application>> applications;             // nullopt: not asked for
    std::string inspection_root;   // the root as inspect_os named it, for further API calls
};

// The named scalar field ("distro", "major_version"...) as text; nullopt if name
// is not a scalar field of OperatingSystem.
std::optional<std::string> scalar_field(const OperatingSystem& os, const std::string& name);

// The names scalar_field() knows, in output order.
const std::vector<std::string>& scalar_field_names();

// Runs inspection on a launched session and describes every OS found (none:
// empty). Mounts each OS read-only while reading its applications. Throws Error.
std::vector<OperatingSystem> inspect_operating_systems(GuestfsSession& session, bool with_applications);

} // namespace guestuml::cli
