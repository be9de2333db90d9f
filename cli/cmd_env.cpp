// guestuml env: the shell exports that make stock libguestfs tools (guestfish,
// virt-*, the C API) run their appliance on guestuml: eval "$(guestuml env)".
#include "commands.hpp"

#include "guestuml/appliance_cache.hpp"
#include "guestuml/helper_paths.hpp"

#include <fmt/format.h>

namespace guestuml::cli {

namespace {

constexpr const char* usage =
    "usage: guestuml env\n"
    "\n"
    "Builds the appliance if needed, then prints the exports that make stock\n"
    "libguestfs tools use it on User-mode Linux:\n"
    "\n"
    "  eval \"$(guestuml env)\"\n"
    "  guestfish --ro -a disk.img -i\n"
    "\n"
    "LIBGUESTFS_BACKEND=direct runs LIBGUESTFS_HV (guestuml-qemu, a qemu stand-in)\n"
    "with the fixed appliance in LIBGUESTFS_PATH.\n";

// Single quotes keep every byte literal in sh; a quote inside becomes '\''.
std::string shell_quote(const std::string& value)
{
    std::string out = "'";
    for (char c : value) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

} // namespace

int cmd_env(const Args& args)
{
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
        fmt::print("{}", usage);
        return exit_ok;
    }
    if (!args.empty())
        throw UsageError(fmt::format("unexpected argument '{}'\n{}", args[0], usage));

    const auto hypervisor = helper_program("guestuml-qemu");
    const auto appliance = ensure_appliance(default_appliance_inputs(), [](std::string_view message) {
        fmt::print(stderr, "guestuml: {}\n", message);
    });
    fmt::print("export LIBGUESTFS_BACKEND=direct\n"
               "export LIBGUESTFS_HV={}\n"
               "export LIBGUESTFS_PATH={}\n",
               shell_quote(hypervisor.string()), shell_quote(appliance.dir.string()));
    return exit_ok;
}

} // namespace guestuml::cli
