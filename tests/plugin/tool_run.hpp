// Runs stock libguestfs tools through a shell, with libguestfs pointed either at
// guestuml (the exports of `guestuml env`) or at its own QEMU path (the reference).
#pragma once

#include <string>

namespace guestuml::plugin::test {

enum class Hypervisor {
    guestuml,   // eval "$(guestuml env)"
    qemu,       // libguestfs's direct backend with qemu and its supermin appliance
};

struct ToolResult {
    int status = -1;        // wait status from the shell
    std::string out;        // standard output
    std::string err;        // standard error
    double seconds = 0;     // wall-clock time

    bool ok() const;
    // "exit 1: <stderr>": for failure messages.
    std::string describe() const;
};

// Runs command_line with sh -c under hv's environment; stdin_text is its standard input.
ToolResult run_tool(Hypervisor hv, const std::string& command_line, const std::string& stdin_text = {});

// The environment exports of `guestuml env`, as shell text (built once per process).
const std::string& guestuml_env_exports();

// Sets this process's environment from `guestuml env`, for in-process C API use.
void apply_guestuml_env();

// Quotes value for sh.
std::string shell_quote(const std::string& value);

} // namespace guestuml::plugin::test
