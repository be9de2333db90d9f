#include "supervisor.hpp"

#include "sys.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

namespace guestuml::init {

namespace {

constexpr double stop_grace_ms = 5000;

sigset_t handled_signals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

// Reaps every exited child; true if daemon was one of them.
bool reap_children(pid_t daemon, const BootLog& log)
{
    bool daemon_gone = false;
    for (;;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return daemon_gone;
        if (pid == daemon) {
            daemon_gone = true;
            log.note(fmt::format("guestfsd ended (wait status {})", status));
        }
    }
}

} // namespace

void take_over_signals()
{
    const sigset_t set = handled_signals();
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    ::reboot(RB_DISABLE_CAD);
}

void supervise_until_power_off(pid_t daemon, const BootLog& log)
{
    const sigset_t set = handled_signals();
    double stop_deadline = 0;   // set once we have asked guestfsd to stop
    for (;;) {
        if (reap_children(daemon, log))
            power_off(log);
        siginfo_t info;
        int sig;
        if (stop_deadline == 0) {
            sig = ::sigwaitinfo(&set, &info);
        } else {
            const double left = stop_deadline - monotonic_ms();
            if (left <= 0) {
                log.warn("guestfsd did not stop in time; killing it");
                ::kill(daemon, SIGKILL);
                stop_deadline = monotonic_ms() + stop_grace_ms;
                continue;
            }
            const auto ns = static_cast<long long>(left * 1e6);
            const timespec wait{static_cast<time_t>(ns / 1000000000LL), static_cast<long>(ns % 1000000000LL)};
            sig = ::sigtimedwait(&set, &info, &wait);
        }
        if ((sig == SIGINT || sig == SIGTERM) && stop_deadline == 0) {
            log.note(fmt::format("{}: stopping guestfsd", sig == SIGINT ? "Ctrl-Alt-Del" : "SIGTERM"));
            ::kill(daemon, SIGTERM);
            stop_deadline = monotonic_ms() + stop_grace_ms;
        }
    }
}

void power_off(const BootLog& log)
{
    log.note("sync and power off");
    ::sync();
    ::reboot(RB_POWER_OFF);
    // Only reached if the kernel refused; PID 1 must not exit.
    fmt::print(stderr, "guestuml-init: power off failed: {}\n", std::strerror(errno));
    for (;;)
        ::pause();
}

} // namespace guestuml::init
