// Inspects one VM (one or more disks in one appliance) and judges it against
// the --expect list: the unit of work of `guestuml inspect`.
#pragma once

#include "backend_config.hpp"
#include "disk_image.hpp"
#include "expectations.hpp"
#include "guestfs_session.hpp"
#include "inspection.hpp"

#include <string>
#include <vector>

namespace guestuml::cli {

struct InspectRequest {
    bool applications = true;
    std::vector<Expectation> expectations;
    SessionOptions session;
};

struct VmReport {
    int exit_code = 0;                         // a cli::Exit value
    std::vector<OperatingSystem> systems;
    std::vector<std::string> unmet;            // failed expectations (of the best-matching OS)
    std::string error;                         // why it could not be inspected
};

// Probes the disk paths, boots one appliance over them and inspects. Never
// throws: bad input becomes exit_usage, other failures exit_internal.
VmReport inspect_vm(const std::vector<std::string>& disk_paths, const InspectRequest& request,
                    const BackendConfig& config);

} // namespace guestuml::cli
