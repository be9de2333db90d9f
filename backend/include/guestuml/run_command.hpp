// Runs a short-lived helper program (qemu-img, mke2fs...) to completion and
// collects what it printed.
#pragma once

#include <string>
#include <vector>

namespace guestuml {

struct CommandResult {
    int status = 0;          // wait status
    std::string out;         // standard output
    std::string err;         // standard error
    bool succeeded() const;  // exited with status 0
};

// Runs argv with stdin on /dev/null. Throws Error only if it cannot be started.
CommandResult run_command(const std::vector<std::string>& argv);

// Runs argv and returns its standard output; throws Error naming the command and
// quoting its standard error when it fails.
std::string run_command_checked(const std::vector<std::string>& argv);

} // namespace guestuml
