#include "guestuml/uml_instance.hpp"

#include "cpu_claim.hpp"
#include "delay_loop.hpp"
#include "guest_channel.hpp"
#include "guestuml/process.hpp"
#include "guestuml/sandbox.hpp"
#include "guestuml/temp_dir.hpp"
#include "guestuml/uml_command_line.hpp"
#include "guestuml/uml_sandbox.hpp"
#include "janitor.hpp"
#include "mconsole.hpp"
#include "storage_daemon.hpp"
#include "supervisor.hpp"

#include <boost/filesystem/operations.hpp>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <optional>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = boost::filesystem;

namespace guestuml {
namespace {

// Descriptor numbers inside UML: stdout/stderr and con0 share the console pipe,
// so that UML's own early messages reach the tail too.
constexpr int uml_console_fd = 1;
constexpr int uml_serial_fd = 3;
// UML opens the root through our descriptor: a cache that replaces the appliance
// between our check and UML's open cannot pull it away.
constexpr int uml_root_fd = 4;
constexpr const char* umid = "appliance";   // unique enough: uml_dir is private

void check_input_file(const fs::path& path, std::string_view what)
{
    if (path.empty())
        throw Error(fmt::format("{}: not set", what));
    if (::access(path.c_str(), R_OK) == -1)
        throw_errno(fmt::format("{} {}", what, path.string()));
}

bool powered_off(int status)
{
    // UML exits with 1 after a normal power-off.
    return WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1);
}

} // namespace

struct UmlInstance::Impl {
    LaunchConfig config;
    TempDir temp;
    fs::path temp_path;
    Janitor janitor;
    std::optional<TempDir> memory_dir;  // UML's memory file, on tmpfs where possible
    std::optional<Sandbox> sandbox;
    std::optional<StorageDaemon> daemon;
    GuestChannel channel;
    fs::path mconsole_socket;
    std::optional<CpuClaim> cpu;   // held while UML runs; outlives uml below
    std::mutex mutex;              // guards uml and failure against the supervisor thread
    Process uml;
    std::string failure;           // why the supervisor stopped UML
    std::optional<Supervisor> supervisor;
    bool finished = false;

    explicit Impl(LaunchConfig cfg)
        : config(std::move(cfg)), temp("guestuml", config.temp_parent), temp_path(temp.path()), janitor(temp_path)
    {
        janitor.remove_after(config.client_pid, config.client_files);
    }

    void start();
    void on_daemon_exit();
    void on_channel_end(const std::string& error);
    [[noreturn]] void fail(const std::string& what);
    std::string describe_failure(const std::string& what);
    void finish() noexcept;
};

void UmlInstance::Impl::start()
{
    std::vector<std::string> notices;
    if (!config.disks.empty()) {
        daemon.emplace(config.disks, temp_path);
        janitor.watch(daemon->process().pid());
        for (const pid_t pid : daemon->helper_pids())
            janitor.watch(pid);
        for (size_t i = 0; i < daemon->disks().size(); ++i) {
            if (const ServedDisk& d = daemon->disks()[i]; !d.notice.empty())
                notices.push_back(d.notice);
        }
    }

    channel = make_guest_channel(config, temp_path,
                                 [this](const std::string& error) { on_channel_end(error); });
    if (!channel.notice.empty())
        notices.push_back(channel.notice);

    const fs::path uml_dir = temp_path / "uml";
    fs::create_directory(uml_dir);
    mconsole_socket = uml_dir / umid / "mconsole";

    UmlCommandLine cmd;
    cmd.kernel = config.kernel;
    UniqueFd root(::open(config.root.c_str(), O_RDONLY | O_CLOEXEC));
    if (!root)
        throw_errno(fmt::format("appliance root {}", config.root.string()));
    cmd.root = fmt::format("/proc/self/fd/{}", uml_root_fd);
    cmd.memory_mb = config.memory_mb;
    cmd.umid = umid;
    cmd.uml_dir = uml_dir;
    cmd.console_fd = uml_console_fd;
    cmd.serial_channel_fd = channel.serial_fd >= 0 ? uml_serial_fd : -1;
    if (daemon)
        for (const auto& d : daemon->disks())
            cmd.block_sockets.push_back(d.socket);
    cmd.console_socket = channel.console_socket;
    cmd.loops_per_jiffy = measure_loops_per_jiffy();
    cmd.extra_args = config.kernel_args;
    // Debian's UML kernel has hostfs built in: its root is an empty directory
    // (and Landlock forbids the rest of the host anyway).
    const fs::path hostfs_root = uml_dir / "hostfs";
    fs::create_directory(hostfs_root);
    fs::permissions(hostfs_root, fs::owner_read | fs::owner_exe);
    cmd.extra_args.push_back("hostfs=" + hostfs_root.string());

    auto [console_read, console_write] = make_pipe();
    SpawnOptions opts;
    opts.argv = build_uml_argv(cmd);
    opts.fds = {{console_write.get(), uml_console_fd}, {console_write.get(), 2}, {root.get(), uml_root_fd}};
    if (channel.serial_fd >= 0)
        opts.fds.emplace_back(channel.serial_fd, uml_serial_fd);
    opts.contain = true;
    // UML counts the gap between its binary's end and a randomised heap start as
    // physical memory (its "exec-shield gap": 170 MiB to 1 GiB on our hosts) and
    // initialises page structures for all of it at boot, at a host page fault per
    // 4 KiB of them. With the heap right after the binary there is no gap.
    opts.fixed_layout = true;
    cpu = CpuClaim::claim_free();
    if (cpu)
        opts.cpu = cpu->cpu();
    memory_dir.emplace("guestuml-memory", memory_file_parent(temp_path));
    janitor.remove(memory_dir->path());
    opts.extra_env = {"TMPDIR=" + memory_dir->path().string()};
    if (config.sandbox) {
        sandbox.emplace(uml_sandbox_policy({cmd.kernel, config.root, uml_dir, memory_dir->path()}));
        opts.sandbox = &*sandbox;
        if (!sandbox->warning().empty())
            notices.push_back("sandbox: " + sandbox->warning());
    }
    {
        std::lock_guard lock(mutex);
        uml = Process(opts);
    }
    janitor.watch(uml.pid());
    if (uml.owns_group())
        janitor.watch(-uml.pid());
    console_write.reset();
    channel.own_serial_end.reset();

    supervisor.emplace(std::move(console_read), config.console, daemon ? daemon->process().exit_fd() : -1,
                       [this] { on_daemon_exit(); });
    for (const auto& n : notices)
        supervisor->note(n);
}

void UmlInstance::Impl::on_daemon_exit()
{
    std::lock_guard lock(mutex);
    if (!uml.running())
        return;
    std::string status = "exited";
    if (auto st = daemon->process().try_wait())
        status = describe_wait_status(*st);
    failure = fmt::format("qemu-storage-daemon {} while UML needed it: {}", status, daemon->error_output());
    uml.signal(SIGKILL);
}

void UmlInstance::Impl::on_channel_end(const std::string& error)
{
    // A plain disconnect means UML is going away by itself.
    if (error.empty())
        return;
    int exit_fd = -1;
    {
        std::lock_guard lock(mutex);
        if (!uml.running())
            return;
        exit_fd = uml.exit_fd();
    }
    // The connection also breaks while UML powers off or dies: give it a moment
    // to be gone, so that a clean power-off is not mistaken for a failure.
    pollfd p{exit_fd, POLLIN, 0};
    if (::poll(&p, 1, 1000) > 0)
        return;
    std::lock_guard lock(mutex);
    if (!uml.running())
        return;
    // guestfsd's channel is dead: stopping UML lets whoever waits on it notice.
    failure = fmt::format("the virtio channel's device server stopped: {}", error);
    uml.signal(SIGKILL);
}

std::string UmlInstance::Impl::describe_failure(const std::string& what)
{
    std::string msg = what;
    {
        std::lock_guard lock(mutex);
        if (!failure.empty())
            msg += fmt::format(" ({})", failure);
    }
    const auto tail = supervisor ? supervisor->tail() : std::vector<std::string>{};
    if (tail.empty()) {
        msg += "\nno console output";
    } else {
        msg += "\nlast console lines:";
        for (const auto& line : tail)
            msg += "\n  " + line;
    }
    return msg;
}

void UmlInstance::Impl::fail(const std::string& what)
{
    {
        std::lock_guard lock(mutex);
        uml.kill();
    }
    if (supervisor)
        supervisor->stop();
    const std::string msg = describe_failure(what);
    finish();
    throw LaunchError(msg);
}

void UmlInstance::Impl::finish() noexcept
{
    if (finished)
        return;
    finished = true;
    {
        std::lock_guard lock(mutex);
        uml.kill();
    }
    // The supervisor goes before the daemon, whose exit it would report as a failure.
    if (supervisor)
        supervisor->stop();
    channel.server.reset();
    if (daemon)
        daemon->stop();
    temp.remove();
    // Removed here, not by the member's destructor later: once the janitor is
    // dismissed, a SIGKILL before that destructor would leave it on /dev/shm.
    memory_dir.reset();
    // A client that asked us to stop can still be killed before it removes
    // its own files (its overlays, its socket): they stay in the janitor's
    // care until the owner (the plugin, which exits next) has gone.
    if (config.client_pid > 0 && !config.client_files.empty())
        janitor.release();
    else
        janitor.clear();
}

UmlInstance::UmlInstance(LaunchConfig config)
{
    for (const auto& disk : config.disks)
        validate_disk(disk);
    check_input_file(config.kernel, "UML kernel");
    check_input_file(config.root, "appliance root");
    impl_ = std::make_unique<Impl>(std::move(config));
    try {
        impl_->start();
    } catch (...) {
        impl_->finish();
        throw;
    }
}

UmlInstance::~UmlInstance()
{
    if (impl_)
        impl_->finish();
}

int UmlInstance::channel_fd() const { return impl_->channel.host_fd; }

int UmlInstance::exit_fd() const { return impl_->uml.exit_fd(); }

int UmlInstance::uml_pid() const { return impl_->uml.pid(); }

const fs::path& UmlInstance::temp_dir() const { return impl_->temp_path; }

std::vector<std::string> UmlInstance::console_tail() const
{
    return impl_->supervisor ? impl_->supervisor->tail() : std::vector<std::string>{};
}

std::string UmlInstance::failure_reason() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->failure;
}

void UmlInstance::wait_ready(std::chrono::milliseconds timeout)
{
    if (impl_->finished)
        throw Error("wait_ready: the instance has already stopped");
    if (!impl_->channel.own_host_end)
        throw Error("wait_ready: the channel belongs to the caller, whose peer reads the launch flag");
    const int fd = impl_->channel.host_fd;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    unsigned char flag[4];
    size_t got = 0;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            impl_->fail(fmt::format("guestfsd was not ready after {:.1f} s; UML was killed", timeout.count() / 1000.0));
        pollfd fds[2] = {{fd, POLLIN, 0}, {exit_fd(), POLLIN, 0}};
        const int n = ::poll(fds, 2, static_cast<int>(left.count()));
        if (n == -1 && errno != EINTR)
            throw_errno("wait_ready: poll");
        if (n <= 0)
            continue;
        if (fds[0].revents) {
            const ssize_t r = ::read(fd, flag + got, sizeof flag - got);
            if (r == -1 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0) {
                const std::string why = r == -1 ? fmt::format(": {}", std::strerror(errno)) : "";
                // The channel closes when UML dies: its exit status says more.
                std::optional<int> status;
                {
                    std::lock_guard lock(impl_->mutex);
                    status = impl_->uml.wait_for(std::chrono::seconds(1));
                }
                if (status)
                    impl_->fail(fmt::format("UML {} before guestfsd was ready", describe_wait_status(*status)));
                impl_->fail("guestfsd's channel closed before the launch flag arrived" + why);
            }
            got += static_cast<size_t>(r);
            if (got < sizeof flag)
                continue;
            static constexpr unsigned char expected[4] = {0xf5, 0xf5, 0x5f, 0xf5};
            if (std::memcmp(flag, expected, sizeof flag) != 0)
                impl_->fail(fmt::format("guestfsd sent {:02x} {:02x} {:02x} {:02x} instead of the launch flag f5 f5 5f f5",
                                        flag[0], flag[1], flag[2], flag[3]));
            return;
        }
        if (fds[1].revents) {
            std::string status = "exited";
            {
                std::lock_guard lock(impl_->mutex);
                if (auto st = impl_->uml.try_wait())
                    status = describe_wait_status(*st);
            }
            impl_->fail(fmt::format("UML {} before guestfsd was ready", status));
        }
    }
}

bool UmlInstance::shutdown(std::chrono::milliseconds grace)
{
    Impl& impl = *impl_;
    if (impl.finished)
        return false;
    bool clean = false;
    std::optional<int> status;
    {
        std::lock_guard lock(impl.mutex);
        status = impl.uml.try_wait();
    }
    // With no grace the guest could not act on a request to power off.
    if (!status && grace.count() > 0) {
        bool asked = false;
        try {
            asked = mconsole_command(impl.mconsole_socket, "cad").ok;
        } catch (const Error& e) {
            if (impl.supervisor)
                impl.supervisor->note(fmt::format("guestuml: cannot ask the guest to power off: {}", e.what()));
        }
        if (asked) {
            pollfd p{exit_fd(), POLLIN, 0};
            const auto deadline = std::chrono::steady_clock::now() + grace;
            for (;;) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
                if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) > 0)
                    break;
            }
            std::lock_guard lock(impl.mutex);
            status = impl.uml.try_wait();
        }
    }
    clean = status && powered_off(*status);
    impl.finish();
    return clean;
}

void UmlInstance::kill() noexcept { impl_->finish(); }

} // namespace guestuml
