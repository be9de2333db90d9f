#include "guestuml/run_command.hpp"

#include "guestuml/error.hpp"
#include "guestuml/process.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace guestuml {

bool CommandResult::succeeded() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

CommandResult run_command(const std::vector<std::string>& argv)
{
    auto out = make_pipe();
    auto err = make_pipe();
    SpawnOptions opts;
    opts.argv = argv;
    opts.fds = {{out.second.get(), 1}, {err.second.get(), 2}};
    Process proc(opts);
    out.second.reset();
    err.second.reset();

    CommandResult result;
    // Both pipes are drained together so that neither can fill up and block the child.
    pollfd fds[2] = {{out.first.get(), POLLIN, 0}, {err.first.get(), POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_count = 2;
    while (open_count > 0) {
        if (::poll(fds, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            throw_errno(fmt::format("{}: poll", argv[0]));
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open_count;
            }
        }
    }
    result.status = proc.wait();
    return result;
}

std::string run_command_checked(const std::vector<std::string>& argv)
{
    CommandResult r = run_command(argv);
    if (!r.succeeded()) {
        while (!r.err.empty() && (r.err.back() == '\n' || r.err.back() == ' '))
            r.err.pop_back();
        throw Error(fmt::format("{} {}: {}", fmt::join(argv, " "), describe_wait_status(r.status),
                                r.err.empty() ? std::string("(no error output)") : r.err));
    }
    return std::move(r.out);
}

} // namespace guestuml
