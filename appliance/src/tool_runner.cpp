#include "tool_runner.hpp"

#include "guestuml/error.hpp"
#include "guestuml/process.hpp"
#include "guestuml/unique_fd.hpp"

#include <deque>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <sys/wait.h>

namespace guestuml {

namespace {

std::string last_lines(const boost::filesystem::path& log, size_t count)
{
    std::ifstream in(log.string());
    std::deque<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
        if (lines.size() > count)
            lines.pop_front();
    }
    std::string out;
    for (const auto& l : lines)
        out += "\n  " + l;
    return out;
}

} // namespace

void run_tool(const std::vector<std::string>& argv, const boost::filesystem::path& log,
              const std::vector<std::string>& extra_env)
{
    UniqueFd out(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!out)
        throw_errno(fmt::format("open log {}", log.string()));
    SpawnOptions options;
    options.argv = argv;
    options.extra_env = extra_env;
    options.fds = {{out.get(), 1}, {out.get(), 2}};
    Process process(options);
    const int status = process.wait();
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    throw Error(fmt::format("{} {}; its last output ({}):{}", argv.at(0), describe_wait_status(status),
                            log.string(), last_lines(log, 15)));
}

} // namespace guestuml
