#include "fork_scaling.hpp"

#include "guestuml/error.hpp"

#include <algorithm>
#include <chrono>
#include <sys/wait.h>
#include <unistd.h>

namespace guestuml::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The work being measured; runs in whichever process calls it.
void fork_and_reap(int forks)
{
    for (int i = 0; i < forks; ++i) {
        const pid_t child = ::fork();
        if (child < 0)
            throw_errno("fork in the fork-scaling probe");
        if (child == 0)
            ::_exit(0);
        ::waitpid(child, nullptr, 0);
    }
}

// Runs fork_and_reap in a child process so two can run at once; returns its pid.
pid_t start_worker(int forks)
{
    const pid_t worker = ::fork();
    if (worker < 0)
        throw_errno("fork for a fork-scaling worker");
    if (worker == 0) {
        try {
            fork_and_reap(forks);
        } catch (...) {
            ::_exit(1);
        }
        ::_exit(0);
    }
    return worker;
}

void reap_worker(pid_t worker)
{
    int status = 0;
    if (::waitpid(worker, &status, 0) != worker || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error("a fork-scaling worker failed");
}

double seconds_since(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace

ForkScaling measure_fork_scaling(int forks)
{
    ForkScaling result;
    auto start = Clock::now();
    reap_worker(start_worker(forks));
    result.one_seconds = seconds_since(start);

    start = Clock::now();
    const pid_t first = start_worker(forks);
    const pid_t second = start_worker(forks);
    reap_worker(first);
    reap_worker(second);
    result.two_seconds = seconds_since(start);
    return result;
}

} // namespace guestuml::bench
