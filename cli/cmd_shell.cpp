// guestuml shell: stock guestfish on guestuml's backend, the OS inspected and
// mounted (-i), read-only unless --rw.
#include "arg_cursor.hpp"
#include "backend_config.hpp"
#include "commands.hpp"
#include "disk_image.hpp"
#include "progress.hpp"

#include "guestuml/error.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <unistd.h>

namespace guestuml::cli {

namespace {

constexpr const char* usage = R"(usage: guestuml shell [OPTIONS] IMAGE... [-- GUESTFISH-COMMAND...]

Runs guestfish on guestuml's UML backend with the disks IMAGE..., the
operating system inspected and mounted (guestfish -i). Interactive unless
guestfish commands follow "--" (guestfish runs them and exits).

options:
      --ro         open the disks read-only (default)
      --rw         open the disks read-write: changes are written to IMAGE
  -q, --quiet      no progress or notes on stderr
  -v, --verbose    guestfish -v -x: libguestfs debug and the appliance console
  -h, --help       this text

exit codes: guestfish's own; 2 for bad arguments or input.
example: guestuml shell disk.img -- cat /etc/os-release
)";

struct ShellOptions {
    std::vector<std::string> images;
    std::vector<std::string> commands;
    bool read_write = false;
    bool quiet = false;
    bool verbose = false;
};

// Everything before "--" is ours, everything after it goes to guestfish as is.
ShellOptions parse(const Args& args)
{
    ShellOptions o;
    ArgCursor cursor(args);
    bool separator_seen = false;
    while (!cursor.done()) {
        if (cursor.take_flag({"--ro"}))
            o.read_write = false;
        else if (cursor.take_flag({"--rw"}))
            o.read_write = true;
        else if (cursor.take_flag({"-q", "--quiet"}))
            o.quiet = true;
        else if (cursor.take_flag({"-v", "--verbose"}))
            o.verbose = true;
        else if (auto arg = cursor.take_positional())
            (separator_seen ? o.commands : o.images).push_back(*arg);
        else
            separator_seen = true;
    }
    if (o.images.empty())
        throw UsageError("no disk image given (see --help)");
    return o;
}

} // namespace

int cmd_shell(const Args& args)
{
    for (const auto& a : args) {
        if (a == "--")
            break;
        if (a == "-h" || a == "--help") {
            fmt::print("{}", usage);
            return exit_ok;
        }
    }
    const auto options = parse(args);
    std::vector<std::string> argv{"guestfish", options.read_write ? "--rw" : "--ro", "-i"};
    if (options.verbose) {
        argv.push_back("-v");
        argv.push_back("-x");
    }
    for (const auto& path : options.images) {
        const auto image = probe_disk_image(path);
        argv.push_back("--format=" + image.format);
        argv.push_back("-a");
        argv.push_back(image.path);
    }
    argv.insert(argv.end(), options.commands.begin(), options.commands.end());

    const Progress progress(options.quiet);
    for (const auto& setting : backend_environment(resolve_backend_config(progress.as_function()))) {
        const auto eq = setting.find('=');
        ::setenv(setting.substr(0, eq).c_str(), setting.substr(eq + 1).c_str(), 1);
    }
    std::vector<char*> c_argv;
    for (auto& arg : argv)
        c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);
    std::fflush(stdout);
    ::execvp(c_argv[0], c_argv.data());
    throw_errno("cannot run guestfish (package libguestfs-tools)");
}

} // namespace guestuml::cli
