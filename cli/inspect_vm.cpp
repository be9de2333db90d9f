#include "inspect_vm.hpp"

#include "commands.hpp"
#include "mounted_root.hpp"

#include <fmt/format.h>
#include <optional>

namespace guestuml::cli {

namespace {

bool guest_file_exists(GuestfsSession& session, const std::string& path)
{
    return guestfs_exists(session.get(), path.c_str()) == 1;
}

// Applies the expectations to each OS; the VM passes if one OS meets them all.
// The first OS's failures are reported otherwise (it is the one users mean).
void judge(GuestfsSession& session, const InspectRequest& request, VmReport& report)
{
    std::vector<std::vector<std::string>> failures;
    for (const auto& os : report.systems) {
        std::optional<MountedRoot> mounted;
        if (needs_files(request.expectations))
            mounted.emplace(session, os.inspection_root);
        auto unmet = unmet_expectations(request.expectations, os, [&](const std::string& path) {
            return guest_file_exists(session, path);
        });
        if (unmet.empty())
            return;
        failures.push_back(std::move(unmet));
    }
    report.unmet = std::move(failures.front());
    report.exit_code = exit_expectation;
}

} // namespace

VmReport inspect_vm(const std::vector<std::string>& disk_paths, const InspectRequest& request,
                    const BackendConfig& config)
{
    VmReport report;
    try {
        std::vector<DiskImage> disks;
        for (const auto& path : disk_paths)
            disks.push_back(probe_disk_image(path));
        GuestfsSession session(config, request.session);
        for (const auto& disk : disks)
            session.add_disk(disk, true);
        session.launch();
        const bool applications = request.applications || needs_applications(request.expectations);
        report.systems = inspect_operating_systems(session, applications);
        if (report.systems.empty()) {
            report.exit_code = exit_no_os;
            report.error = "no operating system found";
            return report;
        }
        if (!request.expectations.empty())
            judge(session, request, report);
        if (!request.applications)
            for (auto& os : report.systems)
                os.applications.reset();
    } catch (const UsageError& e) {
        report = {exit_usage, {}, {}, e.what()};
    } catch (const std::exception& e) {
        report = {exit_internal, {}, {}, e.what()};
    }
    return report;
}

} // namespace guestuml::cli
