// The guestuml subcommands. Each lives in cli/cmd_NAME.cpp and returns the
// process exit code; errors reach main() as exceptions.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace guestuml::cli {

using Args = std::vector<std::string>;   // the arguments after the subcommand name

// Exit codes shared by every subcommand.
enum Exit : int {
    exit_ok = 0,           // success (inspect: an OS was found)
    exit_no_os = 1,        // inspect: no operating system found
    exit_usage = 2,        // bad arguments or bad input (missing file, not a disk)
    exit_internal = 3,     // anything else went wrong
    exit_expectation = 4,  // inspect --expect: an expectation failed
};

// Thrown for bad arguments or bad input: main() prints it and exits with exit_usage.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

int cmd_appliance(const Args& args);   // appliance build|path|clean
int cmd_boot_test(const Args& args);   // boot-test [IMAGE...]
int cmd_env(const Args& args);         // env: shell exports for stock libguestfs tools
int cmd_inspect(const Args& args);     // inspect [-a DISK]... IMAGE...: OS facts as JSON/XML, --expect gate
int cmd_shell(const Args& args);       // shell IMAGE...: guestfish -i on guestuml's backend
int cmd_ls(const Args& args);          // ls IMAGE PATH
int cmd_cat(const Args& args);         // cat IMAGE PATH
int cmd_copy_out(const Args& args);    // copy-out IMAGE PATH DIR
int cmd_doctor(const Args& args);      // doctor: is this host ready, and what to fix

} // namespace guestuml::cli
