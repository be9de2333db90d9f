#include "tool_run.hpp"

#include "qemu_reference.hpp"

#include "guestuml/error.hpp"
#include "guestuml/temp_dir.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <sys/wait.h>

namespace guestuml::plugin::test {
namespace {

struct PipeCloser {
    void operator()(std::FILE* f) const noexcept { ::pclose(f); }
};

std::string read_file(const boost::filesystem::path& path)
{
    std::ifstream in(path.string(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Runs a shell command, capturing stdout and stderr; never throws for a failing command.
ToolResult run_shell(const std::string& script, const std::string& stdin_text)
{
    TempDir dir("guestuml-plugin-test");
    const auto in_file = dir.path() / "stdin";
    const auto err_file = dir.path() / "stderr";
    std::ofstream(in_file.string()) << stdin_text;
    // The closing parenthesis goes on a line of its own: a here-document's
    // terminator must be alone on its line, so "EOF )" would never end it.
    const std::string command = fmt::format("(\n{}\n) <{} 2>{}", script, shell_quote(in_file.string()),
                                            shell_quote(err_file.string()));
    const auto start = std::chrono::steady_clock::now();
    ToolResult result;
    std::FILE* raw = ::popen(command.c_str(), "r");
    if (!raw)
        throw_errno("popen " + command);
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, raw)) > 0)
        result.out.append(buf, n);
    result.status = ::pclose(raw);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.err = read_file(err_file);
    return result;
}

} // namespace

bool ToolResult::ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::string ToolResult::describe() const
{
    const std::string how = WIFEXITED(status) ? fmt::format("exit {}", WEXITSTATUS(status))
                                              : fmt::format("wait status {}", status);
    return fmt::format("{}; stderr:\n{}\nstdout:\n{}", how, err, out.substr(0, 4000));
}

std::string shell_quote(const std::string& value)
{
    std::string out = "'";
    for (char c : value)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

const std::string& guestuml_env_exports()
{
    static const std::string exports = [] {
        // GUESTUML_TEST_PROGRAM runs the tests against another guestuml (e.g. the
        // installed one) than the one built with them.
        const char* program = std::getenv("GUESTUML_TEST_PROGRAM");
        const ToolResult r = run_shell(shell_quote(program && *program ? program : GUESTUML_PROGRAM) + " env", {});
        if (!r.ok() || r.out.find("LIBGUESTFS_HV=") == std::string::npos)
            throw Error("guestuml env failed: " + r.describe());
        return r.out;
    }();
    return exports;
}

void apply_guestuml_env()
{
    static const std::regex quoted(R"(export ([A-Z_]+)='([^']*)')");
    static const std::regex plain(R"(export ([A-Z_]+)=([^'\s]*))");
    std::istringstream in(guestuml_env_exports());
    std::string line;
    while (std::getline(in, line)) {
        std::smatch m;
        if (std::regex_match(line, m, quoted) || std::regex_match(line, m, plain))
            ::setenv(m[1].str().c_str(), m[2].str().c_str(), 1);
    }
}

ToolResult run_tool(Hypervisor hv, const std::string& command_line, const std::string& stdin_text)
{
    std::string env;
    if (hv == Hypervisor::guestuml)
        env = guestuml_env_exports();
    else
        env = guestuml::test::qemu_reference_shell_prefix();
    return run_shell(env + command_line, stdin_text);
}

} // namespace guestuml::plugin::test
