// guestuml: the program edge. Dispatches to a subcommand and turns any error
// into one line on stderr and an exit code.
#include "commands.hpp"

#include "guestuml/error.hpp"

#include <cstring>
#include <fmt/format.h>
#include <functional>
#include <string_view>
#include <sys/resource.h>

namespace {

using guestuml::cli::Args;

struct Command {
    std::string_view name;
    std::function<int(const Args&)> run;
    std::string_view summary;
};

const Command commands[] = {
    {"appliance", guestuml::cli::cmd_appliance, "build|path|clean   manage the cached UML appliance"},
    {"boot-test", guestuml::cli::cmd_boot_test, "[IMAGE...]         boot the appliance, report readiness time and disks"},
    {"env", guestuml::cli::cmd_env, "                   print the exports that make stock libguestfs tools use guestuml"},
    {"inspect", guestuml::cli::cmd_inspect, "[-a DISK]... IMAGE... the OS on the disks as JSON (or --xml); --expect for CI"},
    {"shell", guestuml::cli::cmd_shell, "IMAGE...           guestfish on guestuml's backend, OS mounted (-i)"},
    {"ls", guestuml::cli::cmd_ls, "IMAGE PATH         list a directory of the guest"},
    {"cat", guestuml::cli::cmd_cat, "IMAGE PATH         print a file of the guest"},
    {"copy-out", guestuml::cli::cmd_copy_out, "IMAGE PATH DIR     copy a file or directory out of the guest"},
    {"doctor", guestuml::cli::cmd_doctor, "                   check this host and say what is missing"},
};

// Each child libguestfs forks (qemu-img, guestuml-qemu, rm) closes every
// descriptor up to the soft limit before its exec, one system call each: about
// 20 ms a child where the limit is 20,000, as on our CI machines (`guestuml
// inspect` of the sample image: 2.20 s against 2.27 s). guestuml needs far fewer
// descriptors, so it takes Debian's default; the hard limit stays, for any
// child that wants more.
void lower_open_file_limit()
{
    constexpr rlim_t debian_default = 1024;
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur > debian_default) {
        files.rlim_cur = debian_default;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
}

void print_usage(std::FILE* out)
{
    fmt::print(out, "usage: guestuml COMMAND [ARGS...]\n\ncommands:\n");
    for (const auto& c : commands)
        fmt::print(out, "  {} {}\n", c.name, c.summary);
    fmt::print(out, "\n'guestuml COMMAND --help' describes one command.\n");
}

} // namespace

int main(int argc, char* argv[])
{
    if (argc < 2) {
        print_usage(stderr);
        return guestuml::cli::exit_usage;
    }
    const std::string_view name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        print_usage(stdout);
        return guestuml::cli::exit_ok;
    }
    lower_open_file_limit();
    Args args(argv + 2, argv + argc);
    for (const auto& c : commands) {
        if (c.name != name)
            continue;
        try {
            return c.run(args);
        } catch (const guestuml::cli::UsageError& e) {
            fmt::print(stderr, "guestuml {}: {}\n", name, e.what());
            return guestuml::cli::exit_usage;
        } catch (const std::exception& e) {
            fmt::print(stderr, "guestuml {}: {}\n", name, e.what());
            return guestuml::cli::exit_internal;
        }
    }
    fmt::print(stderr, "guestuml: unknown command '{}'\n", name);
    print_usage(stderr);
    return guestuml::cli::exit_usage;
}
