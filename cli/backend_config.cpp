#include "backend_config.hpp"

#include "guestuml/helper_paths.hpp"

#include <cstdlib>
#include <string_view>

namespace guestuml::cli {

namespace {

bool reference_qemu_requested()
{
    const char* value = std::getenv("GUESTUML_REFERENCE");
    return value && std::string_view(value) == "qemu";
}

} // namespace

BackendConfig resolve_backend_config(const ProgressFn& progress)
{
    BackendConfig config;
    if (reference_qemu_requested())
        return config;
    config.hv = helper_program("guestuml-qemu").string();
    config.path = ensure_appliance(default_appliance_inputs(), progress).dir.string();
    return config;
}

std::vector<std::string> backend_environment(const BackendConfig& config)
{
    std::vector<std::string> env{"LIBGUESTFS_BACKEND=" + config.backend};
    if (!config.hv.empty())
        env.push_back("LIBGUESTFS_HV=" + config.hv);
    if (!config.path.empty())
        env.push_back("LIBGUESTFS_PATH=" + config.path);
    return env;
}

} // namespace guestuml::cli
