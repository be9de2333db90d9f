// guestuml-init: PID 1 of the guestuml appliance under User-mode Linux. It does
// what libguestfs's shell /init does for guestfsd, minus udev, in one static
// process: every extra process costs 18-150 ms in the guest.
#include "boot_log.hpp"
#include "boot_options.hpp"
#include "child_process.hpp"
#include "disk_links.hpp"
#include "kernel_modules.hpp"
#include "lazy_library_abi.hpp"
#include "loopback.hpp"
#include "lvm_md.hpp"
#include "mounts.hpp"
#include "root_overlay.hpp"
#include "supervisor.hpp"
#include "sys.hpp"

#include "guestuml/error.hpp"

#include <exception>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <string>
#include <sys/utsname.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace guestuml::init;

// Every module the appliance loads at boot. overlay makes the root writable,
// virtio_blk shows the user's disks, dm_mod serves LVM, virtio_console a future
// virtio channel. Anything else (filesystems, dm targets) the kernel loads on
// demand through modprobe.
const std::vector<ModuleRequest> boot_modules = {
    {"overlay", true},
    {"virtio_blk", true},
    {"dm_mod", true},
    {"virtio_console", false},
};

// Loaded only when a disk carries an MD superblock.
const std::vector<ModuleRequest> md_modules = {
    {"md_mod", true}, {"linear", false}, {"raid0", false},
    {"raid1", false}, {"raid10", false}, {"raid456", false},
};

constexpr const char* tool_path = "/sbin:/usr/sbin:/bin:/usr/bin";
// Put there by the appliance builder (appliance/src/root_fixups.cpp): see
// appliance/augeas/lazy_lenses.cpp, appliance/vfork/command_vfork.cpp and
// appliance/channel_io/channel_preload.cpp.
constexpr const char* augeas_preload = "/usr/lib/guestuml/guestuml-augeas.so";
constexpr const char* vfork_preload = "/usr/lib/guestuml/guestuml-vfork.so";
constexpr const char* channel_io_preload = "/usr/lib/guestuml/guestuml-channel-io.so";

std::string modules_dir()
{
    utsname un{};
    if (::uname(&un) == -1)
        guestuml::throw_errno("uname");
    return std::string("/lib/modules/") + un.release;
}

std::vector<std::string> daemon_environment(const BootOptions& options)
{
    return {
        fmt::format("PATH={}", tool_path),
        fmt::format("TERM={}", options.term.empty() ? "linux" : options.term),
        // The Augeas preload's table is made for this HOME (appliance/src/root_fixups.cpp).
        "HOME=/",
        fmt::format("LVM_SYSTEM_DIR={}", lvm_system_dir),
        // Debian maintainer scripts run by some tools want a runlevel (Debian bug 606622).
        "RUNLEVEL=S",
        "PREVLEVEL=N",
    };
}

// guestfsd's own environment: the tools' plus the preloads, which only
// guestfsd uses (each library takes LD_PRELOAD out of what guestfsd passes on).
std::vector<std::string> guestfsd_environment(std::vector<std::string> env, const BootOptions& options)
{
    std::vector<std::string> preloads;
    if (options.lazy_augeas && ::access(augeas_preload, R_OK) == 0)
        preloads.emplace_back(augeas_preload);
    if (options.vfork && ::access(vfork_preload, R_OK) == 0) {
        preloads.emplace_back(vfork_preload);
        // Read and taken out of the environment by the preload.
        if (!options.replace_ocaml_forks)
            env.emplace_back("GUESTUML_OCAML_FORK=real");
        if (!options.answer_listings)
            env.emplace_back("GUESTUML_LISTINGS=real");
    }
    // It knows only guestfsd's default virtio port, not a --channel.
    if (options.channel_io && options.channel.empty() && ::access(channel_io_preload, R_OK) == 0)
        preloads.emplace_back(channel_io_preload);
    if (!preloads.empty())
        env.push_back(fmt::format("LD_PRELOAD={}", fmt::join(preloads, " ")));
    // The builder's lazy stubs (appliance/src/lazy_libraries.cpp) are there
    // when it made any; the loader takes LD_LIBRARY_PATH out of what guestfsd
    // passes on.
    using namespace guestuml::lazy_libs;
    if (options.lazy_libs && ::access(fmt::format("{}/{}", stub_dir, loader_name).c_str(), R_OK) == 0)
        env.push_back(fmt::format("LD_LIBRARY_PATH={}", stub_dir));
    return env;
}

std::vector<std::string> daemon_argv(const BootOptions& options)
{
    std::vector<std::string> argv{"guestfsd"};
    if (!options.channel.empty())
        argv.insert(argv.end(), {"--channel", options.channel});
    if (options.verbose)
        argv.emplace_back("--verbose");
    return argv;
}

std::vector<std::string> disk_nodes(const std::vector<VirtioDisk>& disks)
{
    std::vector<std::string> nodes;
    for (const auto& disk : disks) {
        nodes.push_back("/dev/" + disk.name);
        for (const auto& part : disk.partitions)
            nodes.push_back("/dev/" + part.name);
    }
    return nodes;
}

// A degraded step is reported and the boot goes on: guestfsd can still serve
// most requests, and the host sees the warning in the console tail.
template <typename F>
void try_step(const BootLog& log, const char* name, F&& step)
{
    try {
        log.timed(name, step);
    } catch (const std::exception& e) {
        log.warn(fmt::format("{}: {}", name, e.what()));
    }
}

[[noreturn]] void boot(BootLog& log)
{
    const double start = monotonic_ms();
    mount_kernel_filesystems();
    const BootOptions options = parse_boot_options(read_file("/proc/cmdline"));
    log.set_verbose(options.verbose || options.profile);
    log.step_done("kernel filesystems", start);

    const std::string modules = modules_dir();
    log.timed("load modules", [&] { load_modules(modules, boot_modules, log); });

    bool writable = true;
    try {
        log.timed("overlay root", make_root_writable);
    } catch (const std::exception& e) {
        log.warn(fmt::format("cannot make the root writable ({}); using tmpfs on /tmp, /run, /var/tmp",
                             e.what()));
        writable = false;
        mount_scratch_tmpfs(log);
    }
    log.timed("runtime paths", [&] { prepare_runtime_paths(writable, log); });
    try_step(log, "loopback", bring_up_loopback);

    std::vector<VirtioDisk> disks;
    try_step(log, "disk links", [&] {
        disks = find_virtio_disks();
        make_by_path_links(disks);
    });
    for (const auto& disk : disks) {
        std::string line = fmt::format("/dev/disk/by-path/{} -> {}", by_path_name(disk.index), disk.name);
        for (const auto& part : disk.partitions)
            line += fmt::format(", {} -> {}", by_path_name(disk.index, part.number), part.name);
        log.note(line);
    }
    // Without guestfs_channel= guestfsd opens its virtio port, which must exist first.
    const std::string wanted_port = options.channel.empty() ? "org.libguestfs.channel.0" : "";
    try_step(log, "virtio port links", [&] {
        if (!make_virtio_port_links(wanted_port, std::chrono::seconds(10)))
            log.warn(fmt::format("virtio port {} did not appear", wanted_port));
    });

    const auto env = daemon_environment(options);
    try_step(log, "lvm.conf", write_lvm_config);
    try_step(log, "md and lvm", [&] {
        activate_md_and_lvm(disk_nodes(disks), env,
                            [&] { load_modules(modules, md_modules, log); }, log);
    });

    const auto argv = daemon_argv(options);
    std::string command;
    for (const auto& a : argv)
        command += (command.empty() ? "" : " ") + a;
    log.note(fmt::format("starting {} at {:.0f} ms", command, monotonic_ms()));
    supervise_until_power_off(spawn(argv, guestfsd_environment(env, options)), log);
}

} // namespace

int main()
{
    take_over_signals();
    BootLog log;
    try {
        boot(log);
    } catch (const std::exception& e) {
        fmt::print(stderr, "guestuml-init: fatal: {}\n", e.what());
    }
    power_off(log);
}
