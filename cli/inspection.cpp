#include "inspection.hpp"

#include "mounted_root.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <strings.h>

namespace guestuml::cli {

namespace {

// libguestfs says "unknown" where virt-inspector prints nothing.
std::string known(std::string value)
{
    return value == "unknown" ? std::string{} : value;
}

std::string required_string(GuestfsSession& session, char* value, const char* what, const std::string& root)
{
    if (!value)
        session.fail(fmt::format("inspecting {} of {}", what, root));
    return take_string(value);
}

std::vector<std::string> required_list(GuestfsSession& session, char** list, const char* what,
                                       const std::string& subject)
{
    if (!list)
        session.fail(fmt::format("reading {} of {}", what, subject));
    return take_string_list(list);
}

std::string canonical(GuestfsSession& session, const std::string& device)
{
    return required_string(session, guestfs_canonical_device_name(session.get(), device.c_str()),
                           "the canonical name", device);
}

std::vector<std::pair<std::string, std::string>> pairs(const std::vector<std::string>& flat)
{
    std::vector<std::pair<std::string, std::string>> result;
    for (std::size_t i = 0; i + 1 < flat.size(); i += 2)
        result.emplace_back(flat[i], flat[i + 1]);
    return result;
}

std::vector<std::pair<std::string, std::string>> read_mountpoints(GuestfsSession& session, const std::string& root)
{
    auto mounts = pairs(required_list(session, guestfs_inspect_get_mountpoints(session.get(), root.c_str()),
                                      "the mountpoints", root));
    std::sort(mounts.begin(), mounts.end(),
              [](const auto& a, const auto& b) { return mountpoint_order(a.first, b.first); });
    for (auto& mount : mounts)
        mount.second = canonical(session, mount.second);
    return mounts;
}

std::vector<Filesystem> read_filesystems(GuestfsSession& session, const std::string& root)
{
    auto devices = required_list(session, guestfs_inspect_get_filesystems(session.get(), root.c_str()),
                                 "the filesystems", root);
    std::sort(devices.begin(), devices.end());
    std::vector<Filesystem> result;
    for (const auto& device : devices) {
        // Failures here are answers (swap has no label, a LUKS volume no type).
        Filesystem fs{canonical(session, device), {}, {}, {}};
        fs.type = take_string(guestfs_vfs_type(session.get(), device.c_str()));
        fs.label = take_string(guestfs_vfs_label(session.get(), device.c_str()));
        fs.uuid = take_string(guestfs_vfs_uuid(session.get(), device.c_str()));
        result.push_back(std::move(fs));
    }
    return result;
}

std::vector<std::pair<std::string, std::string>> read_drive_mappings(GuestfsSession& session, const std::string& root)
{
    // Only Windows has drive letters; elsewhere the call fails and there are none.
    auto mappings = pairs(take_string_list(guestfs_inspect_get_drive_mappings(session.get(), root.c_str())));
    std::sort(mappings.begin(), mappings.end(),
              [](const auto& a, const auto& b) { return ::strcasecmp(a.first.c_str(), b.first.c_str()) < 0; });
    for (auto& mapping : mappings)
        mapping.second = canonical(session, mapping.second);
    return mappings;
}

std::string text(const char* s)
{
    return s ? std::string(s) : std::string{};
}

std::vector<Application> read_applications(GuestfsSession& session, const std::string& root)
{
    guestfs_application2_list* list = guestfs_inspect_list_applications2(session.get(), root.c_str());
    if (!list)
        session.fail(fmt::format("listing the applications of {}", root));
    std::vector<Application> result;
    result.reserve(list->len);
    for (uint32_t i = 0; i < list->len; ++i) {
        const auto& a = list->val[i];
        result.push_back({text(a.app2_name), text(a.app2_display_name), a.app2_epoch, text(a.app2_version),
                          text(a.app2_release), text(a.app2_arch), text(a.app2_install_path),
                          text(a.app2_publisher), text(a.app2_url), text(a.app2_source_package),
                          text(a.app2_summary), text(a.app2_description)});
    }
    guestfs_free_application2_list(list);
    return result;
}

OperatingSystem describe(GuestfsSession& session, const std::string& root, bool with_applications)
{
    guestfs_h* g = session.get();
    const char* r = root.c_str();
    OperatingSystem os;
    os.root = canonical(session, root);
    os.inspection_root = root;
    os.name = known(required_string(session, guestfs_inspect_get_type(g, r), "the type", root));
    os.arch = known(required_string(session, guestfs_inspect_get_arch(g, r), "the architecture", root));
    os.distro = known(required_string(session, guestfs_inspect_get_distro(g, r), "the distro", root));
    os.product_name = known(required_string(session, guestfs_inspect_get_product_name(g, r), "the product name", root));
    os.product_variant =
        known(required_string(session, guestfs_inspect_get_product_variant(g, r), "the product variant", root));
    os.major_version = guestfs_inspect_get_major_version(g, r);
    os.minor_version = guestfs_inspect_get_minor_version(g, r);
    // These two fail for every OS but Windows; failure means "not applicable".
    os.windows_systemroot = take_string(guestfs_inspect_get_windows_systemroot(g, r));
    os.windows_current_control_set = take_string(guestfs_inspect_get_windows_current_control_set(g, r));
    os.package_format =
        known(required_string(session, guestfs_inspect_get_package_format(g, r), "the package format", root));
    os.package_management = known(
        required_string(session, guestfs_inspect_get_package_management(g, r), "the package management", root));
    os.hostname = known(required_string(session, guestfs_inspect_get_hostname(g, r), "the hostname", root));
    os.osinfo = known(required_string(session, guestfs_inspect_get_osinfo(g, r), "the osinfo id", root));
    os.mountpoints = read_mountpoints(session, root);
    os.filesystems = read_filesystems(session, root);
    os.drive_mappings = read_drive_mappings(session, root);
    if (with_applications) {
        // The package database lives in the guest's files: mount them first.
        MountedRoot mounted(session, root);
        os.applications = read_applications(session, root);
    }
    return os;
}

} // namespace

const std::vector<std::string>& scalar_field_names()
{
    static const std::vector<std::string> names{
        "root", "name", "arch", "distro", "product_name", "product_variant", "major_version", "minor_version",
        "windows_systemroot", "windows_current_control_set", "package_format", "package_management", "hostname",
        "osinfo"};
    return names;
}

std::optional<std::string> scalar_field(const OperatingSystem& os, const std::string& name)
{
    const std::pair<const char*, const std::string*> strings[] = {
        {"root", &os.root},
        {"name", &os.name},
        {"arch", &os.arch},
        {"distro", &os.distro},
        {"product_name", &os.product_name},
        {"product_variant", &os.product_variant},
        {"windows_systemroot", &os.windows_systemroot},
        {"windows_current_control_set", &os.windows_current_control_set},
        {"package_format", &os.package_format},
        {"package_management", &os.package_management},
        {"hostname", &os.hostname},
        {"osinfo", &os.osinfo},
    };
    for (const auto& [field, value] : strings)
        if (name == field)
            return *value;
    if (name == "major_version")
        return std::to_string(os.major_version);
    if (name == "minor_version")
        return std::to_string(os.minor_version);
    return std::nullopt;
}

std::vector<OperatingSystem> inspect_operating_systems(GuestfsSession& session, bool with_applications)
{
    const auto roots = required_list(session, guestfs_inspect_os(session.get()), "the operating systems", "the disks");
    std::vector<OperatingSystem> result;
    for (const auto& root : roots)
        result.push_back(describe(session, root, with_applications));
    return result;
}

} // namespace guestuml::cli
