// default_appliance_inputs(), kernel_choice() and appliance_cache_dir(): where
// the appliance's ingredients and its cache are, environment overrides first.
#include "guestuml/appliance_cache.hpp"

#include "guestuml/error.hpp"
#include "guestuml/helper_paths.hpp"

#include <algorithm>
#include <boost/filesystem/operations.hpp>
#include <cstdlib>
#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

namespace fs = boost::filesystem;

namespace guestuml {

namespace {

// Debian's user-mode-linux and libguestfs packages.
constexpr const char* default_kernel = "/usr/bin/linux.uml";
constexpr const char* default_modules_root = "/usr/lib/uml/modules";
constexpr const char* default_supermin_d = "/usr/lib/x86_64-linux-gnu/guestfs/supermin.d";
// Debian's linux-source-6.12 package (bookworm-security): the minimal kernel is
// built from it. 6.12's UML creates processes in half the time of 6.1's
// (docs/kernel.md), and inspection is mostly guestfsd starting processes.
constexpr const char* default_kernel_source = "/usr/src/linux-source-6.12.tar.xz";

std::string env_or_empty(const char* name)
{
    const char* value = std::getenv(name);
    return value ? value : "";
}

// The single version directory under Debian's UML modules root.
fs::path default_modules_dir()
{
    std::vector<fs::path> versions;
    boost::system::error_code ec;
    for (fs::directory_iterator it(default_modules_root, ec), end; !ec && it != end; ++it)
        if (fs::is_regular_file(it->path() / "modules.dep"))
            versions.push_back(it->path());
    if (versions.empty())
        throw Error(fmt::format("no UML kernel modules under {} (is user-mode-linux installed?); "
                                "set GUESTUML_MODULES", default_modules_root));
    std::sort(versions.begin(), versions.end());
    return versions.back();
}

} // namespace

KernelChoice kernel_choice()
{
    const std::string value = env_or_empty("GUESTUML_APPLIANCE_KERNEL");
    if (value.empty())
        return default_kernel_choice;
    if (value == "minimal")
        return KernelChoice::minimal;
    if (value == "debian")
        return KernelChoice::debian;
    throw Error(fmt::format("GUESTUML_APPLIANCE_KERNEL={}: expected 'minimal' or 'debian'", value));
}

std::string_view kernel_choice_name(KernelChoice choice)
{
    return choice == KernelChoice::minimal ? "minimal" : "debian";
}

ApplianceInputs default_appliance_inputs()
{
    ApplianceInputs inputs;
    const std::string kernel = env_or_empty("GUESTUML_KERNEL");
    const std::string modules = env_or_empty("GUESTUML_MODULES");
    // An explicit kernel wins over the choice; the minimal kernel's files are
    // only known once it is built, by ensure_appliance().
    if (kernel.empty() && modules.empty() && kernel_choice() == KernelChoice::minimal) {
        const std::string source = env_or_empty("GUESTUML_KERNEL_SOURCE");
        inputs.minimal_kernel = MinimalKernelSpec{
            source.empty() ? fs::path(default_kernel_source) : fs::path(source), kernel_config_dir()};
    } else {
        inputs.kernel = kernel.empty() ? fs::path(default_kernel) : fs::path(kernel);
        inputs.modules = modules.empty() ? default_modules_dir() : fs::path(modules);
        inputs.modules = inputs.modules.lexically_normal();
        if (inputs.modules.filename() == ".")
            inputs.modules = inputs.modules.parent_path();
        inputs.kernel_version = inputs.modules.filename().string();
    }
    const std::string supermin_d = env_or_empty("GUESTUML_SUPERMIN_D");
    inputs.supermin_d = supermin_d.empty() ? fs::path(default_supermin_d) : fs::path(supermin_d);
    inputs.init = helper_program("guestuml-init");
    inputs.udevadm_shim = helper_program("udevadm");
    inputs.augeas_preload = helper_program("guestuml-augeas.so");
    inputs.augeas_table = helper_program("guestuml-augeas-table");
    inputs.vfork_preload = helper_program("guestuml-vfork.so");
    inputs.channel_io_preload = helper_program("guestuml-channel-io.so");
    inputs.lazy_loader = helper_program("guestuml-lazy-loader.so");
    return inputs;
}

fs::path appliance_cache_dir()
{
    if (const std::string dir = env_or_empty("GUESTUML_CACHE"); !dir.empty())
        return dir;
    if (const std::string xdg = env_or_empty("XDG_CACHE_HOME"); !xdg.empty())
        return fs::path(xdg) / "guestuml";
    std::string home = env_or_empty("HOME");
    if (home.empty()) {
        const passwd* pw = ::getpwuid(::getuid());
        if (!pw || !pw->pw_dir)
            throw Error("cannot find a cache directory: HOME is unset and the user has no home; "
                        "set GUESTUML_CACHE");
        home = pw->pw_dir;
    }
    return fs::path(home) / ".cache" / "guestuml";
}

} // namespace guestuml
