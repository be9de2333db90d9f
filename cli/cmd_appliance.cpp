// guestuml appliance build|path|clean: the cached UML appliance.
#include "commands.hpp"

#include "guestuml/appliance_cache.hpp"

#include <cstdlib>
#include <fmt/format.h>

namespace guestuml::cli {

namespace {

constexpr const char* usage =
    "usage: guestuml appliance build|path [--kernel minimal|debian] | clean\n"
    "\n"
    "  build   build the appliance if it is missing or out of date\n"
    "  path    print the appliance directory (building it first if needed);\n"
    "          usable as LIBGUESTFS_PATH\n"
    "  clean   remove every cached appliance (built kernels are kept)\n"
    "\n"
    "--kernel picks the UML kernel: 'minimal' (the default) is guestuml's own,\n"
    "built once from /usr/src/linux-source-6.12.tar.xz (15-30 min on 2 cores);\n"
    "'debian' is Debian's /usr/bin/linux.uml. Other commands follow\n"
    "$GUESTUML_APPLIANCE_KERNEL.\n"
    "\n"
    "The cache is $GUESTUML_CACHE, else $XDG_CACHE_HOME/guestuml, else ~/.cache/guestuml.\n"
    "Inputs: GUESTUML_KERNEL (UML kernel), GUESTUML_MODULES (its modules directory),\n"
    "GUESTUML_SUPERMIN_D (libguestfs's supermin.d), GUESTUML_LIBEXEC (our helpers).\n";

void print_progress(std::string_view message)
{
    fmt::print(stderr, "guestuml: {}\n", message);
}

} // namespace

int cmd_appliance(const Args& args)
{
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
        fmt::print("{}", usage);
        return exit_ok;
    }
    if (args.size() == 3 && args[1] == "--kernel" && args[0] != "clean") {
        if (args[2] != "minimal" && args[2] != "debian")
            throw UsageError(fmt::format("--kernel {}: expected minimal or debian", args[2]));
        // The choice travels like every other input: through the environment.
        ::setenv("GUESTUML_APPLIANCE_KERNEL", args[2].c_str(), 1);
    } else if (args.size() != 1) {
        throw UsageError(fmt::format("expected one of build, path, clean\n{}", usage));
    }
    const std::string& action = args[0];
    if (action == "build") {
        ensure_appliance(default_appliance_inputs(), print_progress);
        return exit_ok;
    }
    if (action == "path") {
        fmt::print("{}\n", ensure_appliance(default_appliance_inputs(), print_progress).dir.string());
        return exit_ok;
    }
    if (action == "clean") {
        clean_appliance_cache();
        fmt::print(stderr, "guestuml: removed the cached appliances in {}\n", appliance_cache_dir().string());
        return exit_ok;
    }
    throw UsageError(fmt::format("unknown action '{}'\n{}", action, usage));
}

} // namespace guestuml::cli
