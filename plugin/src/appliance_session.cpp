#include "appliance_session.hpp"
#include "client_leftovers.hpp"

#include "guestuml/error.hpp"
#include "guestuml/unique_fd.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace guestuml::plugin {
namespace {

UniqueFd connect_channel(const boost::filesystem::path& path)
{
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string s = path.string();
    if (s.size() >= sizeof addr.sun_path)
        throw Error(fmt::format("guestfsd channel socket {}: path too long", s));
    std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd)
        throw_errno("socket for guestfsd's channel");
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == -1)
        throw_errno(fmt::format("cannot connect to libguestfs's channel socket {}", s));
    return fd;
}

// libguestfs stops its hypervisor with SIGTERM; a terminal's Ctrl-C or hangup
// reaches us too. They are read from a signalfd, so block them in every thread.
UniqueFd termination_signals()
{
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
        sigaddset(&set, sig);
    if (int err = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0)
        throw_errno("blocking termination signals", err);
    UniqueFd fd(::signalfd(-1, &set, SFD_CLOEXEC));
    if (!fd)
        throw_errno("signalfd");
    return fd;
}

// Standard input is libguestfs's console socket; its hang-up means the client is gone.
bool stdin_is_socket()
{
    struct stat st{};
    return ::fstat(STDIN_FILENO, &st) == 0 && S_ISSOCK(st.st_mode);
}

void write_all(int fd, std::string_view data)
{
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;   // the reader is gone; the main loop notices the hang-up
        data.remove_prefix(static_cast<size_t>(n));
    }
}

ChannelKind channel_kind()
{
    const char* env = std::getenv("GUESTUML_CHANNEL");
    if (!env || std::string_view(env).empty() || std::string_view(env) == "virtio")
        return ChannelKind::virtio;
    if (std::string_view(env) == "serial")
        return ChannelKind::serial;
    throw Error(fmt::format("GUESTUML_CHANNEL={}: expected serial or virtio", env));
}

std::string console_tail(const UmlInstance& instance)
{
    std::string out;
    for (const auto& line : instance.console_tail())
        out += fmt::format("\n  {}", line);
    return out;
}

} // namespace

int run_appliance(LaunchPlan plan)
{
    const ClientWatch client;
    std::vector<boost::filesystem::path> named{plan.channel_socket};
    for (const auto& disk : plan.config.disks)
        named.push_back(disk.path);
    const auto client_files = client_leftovers(named);
    // Should the client's recovery process SIGKILL us before we have removed
    // them (it does so once the client is reaped), the janitor does.
    plan.config.client_pid = ::getppid();
    plan.config.client_files = client_files;
    std::signal(SIGPIPE, SIG_IGN);
    const UniqueFd signals = termination_signals();
    const UniqueFd channel = connect_channel(plan.channel_socket);

    plan.config.channel_fd = channel.get();
    plan.config.channel = channel_kind();
    if (plan.console_to_stdout)
        plan.config.console = [](std::string_view line) {
            std::string text(line);
            text += '\n';
            write_all(STDOUT_FILENO, text);
        };

    UmlInstance instance(std::move(plan.config));

    std::vector<pollfd> fds{
        {signals.get(), POLLIN, 0},
        {instance.exit_fd(), POLLIN, 0},
    };
    if (stdin_is_socket())
        fds.push_back({STDIN_FILENO, POLLRDHUP, 0});

    for (;;) {
        if (::poll(fds.data(), fds.size(), -1) == -1) {
            if (errno == EINTR)
                continue;
            throw_errno("poll");
        }
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo info{};
            if (::read(signals.get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info))
                throw_errno("reading signalfd");
            // qemu exits 0 on SIGTERM after flushing its disks, and libguestfs
            // checks for that status: stop the guest at once, flush, succeed.
            fmt::print(stderr, "guestuml-qemu: terminating on signal {} from pid {}\n", info.ssi_signo,
                       static_cast<int>(info.ssi_pid));
            instance.shutdown(std::chrono::milliseconds(0));
            return 0;
        }
        if (fds[1].revents & POLLIN) {
            if (instance.shutdown(std::chrono::milliseconds(0)))
                return 0;
            // A disk the storage daemon could not open is the usual cause: say so first.
            if (const std::string why = instance.failure_reason(); !why.empty())
                fmt::print(stderr, "guestuml-qemu: {}\n", why);
            fmt::print(stderr, "guestuml-qemu: the UML appliance died; last console lines:{}\n",
                       console_tail(instance));
            return 1;
        }
        if (fds.size() > 2 && fds[2].revents) {
            // The client's exit closed its end; its recovery process SIGKILLs us
            // within a second, so its files go first, the appliance second (the
            // backend's janitor finishes that if the SIGKILL wins).
            if (client.gone_within(std::chrono::milliseconds(500)))
                remove_client_leftovers(client_files);
            instance.kill();
            return 1;
        }
    }
}

} // namespace guestuml::plugin
