#include "guestuml/helper_paths.hpp"

#include "guestuml/error.hpp"
#include "helper_locations.hpp"

#include <boost/filesystem/operations.hpp>
#include <cstdlib>
#include <fmt/format.h>

namespace fs = boost::filesystem;

namespace guestuml {

namespace {

bool running_installed()
{
    boost::system::error_code ec;
    const fs::path self = fs::canonical("/proc/self/exe", ec);
    if (ec)
        return false;
    const std::string prefix = fs::path(generated::install_prefix).lexically_normal().string();
    const std::string exe = self.string();
    return exe.size() > prefix.size() && exe.compare(0, prefix.size(), prefix) == 0 &&
           (prefix.back() == '/' || exe[prefix.size()] == '/');
}

fs::path build_tree_location(std::string_view name)
{
    if (name == "guestuml-init")
        return generated::build_init;
    if (name == "udevadm")
        return generated::build_udevadm;
    if (name == "guestuml-augeas.so")
        return generated::build_augeas_preload;
    if (name == "guestuml-augeas-table")
        return generated::build_augeas_table;
    if (name == "guestuml-vfork.so")
        return generated::build_vfork_preload;
    if (name == "guestuml-channel-io.so")
        return generated::build_channel_io_preload;
    if (name == "guestuml-lazy-loader.so")
        return generated::build_lazy_loader;
    if (name == "guestuml-qemu")
        return generated::build_qemu;
    throw Error(fmt::format("unknown guestuml helper program '{}'", name));
}

} // namespace

fs::path helper_program(std::string_view name)
{
    fs::path program;
    std::string origin;
    if (const char* dir = std::getenv("GUESTUML_LIBEXEC"); dir && *dir) {
        program = fs::path(dir) / std::string(name);
        origin = "$GUESTUML_LIBEXEC";
    } else if (running_installed()) {
        program = fs::path(generated::install_libexec_dir) / std::string(name);
        origin = "the install directory";
    } else {
        program = build_tree_location(name);
        origin = "the build tree";
    }
    boost::system::error_code ec;
    if (!fs::is_regular_file(program, ec))
        throw Error(fmt::format("guestuml helper {} not found at {} (looked in {})", name,
                                program.string(), origin));
    return program;
}

fs::path kernel_config_dir()
{
    fs::path dir;
    if (const char* env = std::getenv("GUESTUML_KERNEL_CONFIG_DIR"); env && *env)
        dir = env;
    else
        dir = running_installed() ? generated::install_kernel_dir : generated::build_kernel_dir;
    boost::system::error_code ec;
    if (!fs::is_regular_file(dir / "build-kernel.sh", ec))
        throw Error(fmt::format("the minimal kernel's build files are missing: no {}",
                                (dir / "build-kernel.sh").string()));
    return dir;
}

} // namespace guestuml
