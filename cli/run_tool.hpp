// Runs a short host program (qemu-img, dpkg-query) and collects its output.
#pragma once

#include <string>
#include <vector>

namespace guestuml::cli {

struct ToolResult {
    int status = 0;      // wait status
    std::string out;     // standard output
    std::string err;     // standard error
    bool succeeded() const;
};

// Runs argv to completion with stdin on /dev/null. Throws Error only if the
// program cannot be started.
ToolResult run_tool(const std::vector<std::string>& argv);

} // namespace guestuml::cli
