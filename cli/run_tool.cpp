#include "run_tool.hpp"

#include "guestuml/error.hpp"
#include "guestuml/process.hpp"
#include "guestuml/unique_fd.hpp"

#include <array>
#include <cerrno>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace guestuml::cli {

bool ToolResult::succeeded() const
{
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

ToolResult run_tool(const std::vector<std::string>& argv)
{
    auto out = make_pipe();
    auto err = make_pipe();
    SpawnOptions options;
    options.argv = argv;
    options.fds = {{out.second.get(), 1}, {err.second.get(), 2}};
    Process process(options);
    out.second.reset();
    err.second.reset();

    // Both streams are drained together so that neither pipe can fill up and stall the tool.
    ToolResult result;
    std::array<pollfd, 2> fds{{{out.first.get(), POLLIN, 0}, {err.first.get(), POLLIN, 0}}};
    std::array<std::string*, 2> sinks{&result.out, &result.err};
    int open_streams = 2;
    while (open_streams > 0) {
        if (::poll(fds.data(), fds.size(), -1) == -1) {
            if (errno == EINTR)
                continue;
            throw_errno("poll on the output of " + argv.front());
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            char buffer[4096];
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                sinks[i]->append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open_streams;
            }
        }
    }
    result.status = process.wait();
    return result;
}

} // namespace guestuml::cli
