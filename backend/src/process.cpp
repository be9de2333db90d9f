#include "guestuml/process.hpp"

#include "guestuml/error.hpp"
#include "guestuml/sandbox.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace guestuml {
namespace {

// Everything the child needs, prepared before fork: after fork in a threaded
// program only async-signal-safe calls are allowed, so no allocation there.
struct ChildPlan {
    std::vector<std::string> argv_storage;
    std::vector<std::string> env_storage;
    std::vector<char*> argv;
    std::vector<char*> envp;
    std::vector<std::pair<int, int>> fds;
    int max_target = 2;
    bool die_with_parent = true;
    bool new_session = false;
    const Sandbox* sandbox = nullptr;
    int cpu = -1;
    bool fixed_layout = false;
    pid_t parent = 0;
};

ChildPlan make_plan(const SpawnOptions& options)
{
    if (options.argv.empty())
        throw Error("spawn: empty command");
    ChildPlan plan;
    plan.argv_storage = options.argv;
    for (char** e = environ; *e; ++e) {
        std::string_view entry(*e);
        const auto name = entry.substr(0, entry.find('=') + 1);
        const bool replaced = std::any_of(options.extra_env.begin(), options.extra_env.end(),
            [&](const std::string& x) { return x.rfind(name, 0) == 0; });
        if (!replaced)
            plan.env_storage.emplace_back(entry);
    }
    plan.env_storage.insert(plan.env_storage.end(), options.extra_env.begin(), options.extra_env.end());
    for (auto& s : plan.argv_storage)
        plan.argv.push_back(s.data());
    plan.argv.push_back(nullptr);
    for (auto& s : plan.env_storage)
        plan.envp.push_back(s.data());
    plan.envp.push_back(nullptr);
    plan.fds = options.fds;
    for (auto& [from, to] : plan.fds)
        plan.max_target = std::max(plan.max_target, to);
    plan.die_with_parent = options.die_with_parent;
    plan.new_session = options.new_session && !options.contain;
    plan.sandbox = options.sandbox;
    plan.cpu = options.cpu;
    plan.fixed_layout = options.fixed_layout;
    plan.parent = ::getpid();
    return plan;
}

[[noreturn]] void report_and_exit(int error_fd, int err)
{
    ssize_t ignored = ::write(error_fd, &err, sizeof err);
    (void)ignored;
    ::_exit(127);
}

// Runs in the child after fork: arrange descriptors, then exec. Never returns.
// expected_parent is the parent's pid as the child sees it (1 under the reaper).
[[noreturn]] void exec_child(const ChildPlan& plan, int error_fd, int death_signal, pid_t expected_parent)
{
    if (plan.die_with_parent) {
        ::prctl(PR_SET_PDEATHSIG, death_signal);
        // The parent may have died before prctl took effect.
        if (::getppid() != expected_parent)
            ::_exit(127);
    }
    if (plan.new_session)
        ::setsid();
    // Before the sandbox, which may forbid it.
    if (plan.cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(plan.cpu, &one);
        ::sched_setaffinity(0, sizeof one, &one);
    }
    // Before the sandbox too; a refusal only costs the layout its fixedness.
    if (plan.fixed_layout) {
        const int persona = ::personality(0xffffffff);
        if (persona != -1)
            ::personality(static_cast<unsigned long>(persona) | ADDR_NO_RANDOMIZE);
    }
    // First, while the sandbox's own descriptors are still open.
    if (plan.sandbox)
        if (int err = plan.sandbox->apply_in_child())
            report_and_exit(error_fd, err);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig)
        ::signal(sig, SIG_DFL);

    // Move the sources above every target first so that dup2 never clobbers a
    // source that is still needed.
    int base = std::max(plan.max_target, error_fd) + 1;
    int moved[64];
    const size_t count = std::min<size_t>(plan.fds.size(), 64);
    for (size_t i = 0; i < count; ++i) {
        moved[i] = ::fcntl(plan.fds[i].first, F_DUPFD_CLOEXEC, base);
        if (moved[i] == -1)
            report_and_exit(error_fd, errno);
        base = moved[i] + 1;
    }
    bool mapped[1024] = {};
    for (size_t i = 0; i < count; ++i) {
        const int target = plan.fds[i].second;
        if (::dup2(moved[i], target) == -1)
            report_and_exit(error_fd, errno);
        if (target < 1024)
            mapped[target] = true;
    }
    if (!mapped[0]) {
        const int null_fd = ::open("/dev/null", O_RDWR);
        if (null_fd == -1 || ::dup2(null_fd, 0) == -1)
            report_and_exit(error_fd, errno);
        if (null_fd != 0)
            ::close(null_fd);
    }
    for (int fd = 3; fd <= plan.max_target && fd < 1024; ++fd)
        if (!mapped[fd] && fd != error_fd)
            ::close(fd);
    // Everything above the targets goes, except the error pipe (close-on-exec).
    for (int fd = plan.max_target + 1; fd < base; ++fd)
        if (fd != error_fd)
            ::close(fd);
    ::syscall(SYS_close_range, static_cast<unsigned>(base), ~0U, 0U);

    ::execvpe(plan.argv[0], plan.argv.data(), plan.envp.data());
    report_and_exit(error_fd, errno);
}

void reaper_on_signal(int sig)
{
    // The namespace dies with its first process: exiting kills everything in it.
    ::_exit(128 + sig);
}

// PID 1 of the new namespace: starts the real program as pid 2 and mirrors its
// exit status (a signal becomes 128+N, as in a shell).
[[noreturn]] void run_reaper(const ChildPlan& plan, int error_fd)
{
    struct sigaction sa {};
    sa.sa_handler = reaper_on_signal;
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
        ::sigaction(sig, &sa, nullptr);
    if (plan.die_with_parent)
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    const pid_t child = ::fork();
    if (child == -1)
        report_and_exit(error_fd, errno);
    if (child == 0)
        exec_child(plan, error_fd, SIGKILL, 1);
    ::close(error_fd);
    for (int fd = 0; fd < 3; ++fd)
        ::close(fd);
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    for (;;) {
        int status = 0;
        const pid_t got = ::waitpid(-1, &status, 0);
        if (got == -1 && errno != EINTR)
            ::_exit(127);
        if (got == child)
            ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
}

pid_t clone_new_pid_namespace()
{
    // clone with a null stack behaves like fork, in a new PID namespace.
    return static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
}

} // namespace

Process::Process(const SpawnOptions& options)
{
    const ChildPlan plan = make_plan(options);
    if (plan.fds.size() > 64)
        throw Error("spawn: too many descriptors to pass");
    auto [err_read, err_write] = make_pipe();

    pid_t pid = -1;
    if (options.contain) {
        pid = clone_new_pid_namespace();
        if (pid == 0)
            run_reaper(plan, err_write.get());
        if (pid == -1 && errno != EPERM && errno != EINVAL && errno != ENOSPC)
            throw_errno(fmt::format("cannot start {}", options.argv[0]));
    }
    if (pid == -1) {
        own_group_ = options.contain;
        pid = ::fork();
        if (pid == -1)
            throw_errno(fmt::format("cannot start {}", options.argv[0]));
        if (pid == 0) {
            if (own_group_)
                ::setpgid(0, 0);
            exec_child(plan, err_write.get(), SIGKILL, plan.parent);
        }
        if (own_group_)
            ::setpgid(pid, pid);
    }
    pid_ = pid;
    pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    err_write.reset();

    int child_errno = 0;
    ssize_t n;
    do {
        n = ::read(err_read.get(), &child_errno, sizeof child_errno);
    } while (n == -1 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof child_errno)) {
        kill();
        throw_errno(fmt::format("cannot run {}", options.argv[0]), child_errno);
    }
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), own_group_(other.own_group_),
      pidfd_(std::move(other.pidfd_)), status_(std::exchange(other.status_, std::nullopt))
{
}

Process& Process::operator=(Process&& other) noexcept
{
    if (this != &other) {
        kill();
        pid_ = std::exchange(other.pid_, -1);
        own_group_ = other.own_group_;
        pidfd_ = std::move(other.pidfd_);
        status_ = std::exchange(other.status_, std::nullopt);
    }
    return *this;
}

Process::~Process() { kill(); }

void Process::signal(int sig) noexcept
{
    if (!running())
        return;
    if (own_group_)
        ::kill(-pid_, sig);
    ::kill(pid_, sig);
}

void Process::kill() noexcept
{
    if (pid_ <= 0)
        return;
    if (!status_) {
        signal(SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) == -1 && errno == EINTR) {
        }
        status_ = status;
    }
    // Helpers left in the group (no namespace) get no second chance either.
    if (own_group_)
        ::kill(-pid_, SIGKILL);
}

std::optional<int> Process::try_wait()
{
    if (status_ || pid_ <= 0)
        return status_;
    int status = 0;
    const pid_t got = ::waitpid(pid_, &status, WNOHANG);
    if (got == -1)
        throw_errno(fmt::format("waitpid {}", pid_));
    if (got == pid_)
        status_ = status;
    return status_;
}

std::optional<int> Process::wait_for(std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto st = try_wait())
            return st;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return std::nullopt;
        if (pidfd_) {
            pollfd p{pidfd_.get(), POLLIN, 0};
            ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
        } else {
            ::usleep(static_cast<useconds_t>(std::min<long long>(left.count(), 10)) * 1000);
        }
    }
}

int Process::wait()
{
    for (;;)
        if (auto st = wait_for(std::chrono::hours(1)))
            return *st;
}

std::string describe_wait_status(int status)
{
    if (WIFEXITED(status))
        return fmt::format("exited with status {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
    return fmt::format("ended with wait status {}", status);
}

} // namespace guestuml
