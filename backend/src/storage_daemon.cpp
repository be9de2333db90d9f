#include "storage_daemon.hpp"

#include "blockdev.hpp"
#include "curl_nbd_server.hpp"
#include "guestuml/error.hpp"
#include "guestuml/run_command.hpp"
#include "qcow2_image.hpp"
#include "storage_sandbox.hpp"
#include "unix_socket.hpp"

#include <boost/filesystem/operations.hpp>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <poll.h>
#include <regex>
#include <sstream>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = boost::filesystem;

namespace guestuml {
namespace {

constexpr int first_socket_fd = 3;
// qemu's limit on backing chain depth is far higher; a loop is what this catches.
constexpr int max_backing_depth = 64;
constexpr std::chrono::seconds default_open_timeout{60};

std::string export_json(const std::string& node, int index, int fd)
{
    return fmt::format(R"({{"type":"vhost-user-blk","id":"export{}","node-name":{},"writable":true,)"
                       R"("addr":{{"type":"fd","str":"{}"}}}})",
                       index, json_string(node), fd);
}

void create_overlay(const DiskSpec& disk, const BlockdevPlan& plan)
{
    try {
        run_command_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-F", plan.format, "-b",
                             qemu_img_source(disk), plan.overlay.string()});
    } catch (const Error& e) {
        throw Error(fmt::format("disk {}: cannot create its read-only overlay: {}", disk.describe(), e.what()));
    }
}

// Walks the local part of a qcow2 backing chain before qemu does, so that a
// missing backing file or a truncated image is an error naming the file rather
// than a guest that sees zeros. Stops at the first image that is not qcow2 or
// whose backing is a protocol (qemu-storage-daemon reports those itself).
void check_local_chain(const fs::path& top)
{
    fs::path image = fs::absolute(top);
    for (int depth = 0; depth < max_backing_depth; ++depth) {
        const auto header = read_qcow2_header(image);
        if (!header)
            return;
        check_qcow2_complete(image);
        if (header->backing_file.empty() || names_protocol(header->backing_file))
            return;
        const fs::path backing = resolve_backing(image, header->backing_file);
        if (!fs::exists(backing))
            throw Error(fmt::format("disk {}: its backing file {} (named in {}) does not exist",
                                    top.string(), backing.string(), image.string()));
        if (!header->backing_format.empty() && header->backing_format != "qcow2")
            return;   // raw, vmdk...: qemu opens it as that, never as qcow2
        image = backing;
    }
    throw Error(fmt::format("disk {}: backing chain deeper than {} images (a loop?)", top.string(),
                            max_backing_depth));
}

std::chrono::milliseconds open_timeout()
{
    if (const char* env = std::getenv("GUESTUML_DISK_OPEN_TIMEOUT")) {
        char* end = nullptr;
        const double seconds = std::strtod(env, &end);
        if (end != env && *end == '\0' && seconds > 0)
            return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    }
    return default_open_timeout;
}

// serve_url starts a server for a backing file named by URL and returns its source.
BlockdevPlan plan_disk(const DiskSpec& disk, const fs::path& session_dir, size_t index, ServedDisk& served,
                       const std::function<RemoteSource(const std::string&)>& serve_url)
{
    BlockdevPlan plan;
    plan.node_name = fmt::format("disk{}", index);
    plan.format = disk.format;
    if (plan.format.empty()) {
        plan.format = probe_image_format(disk);
        served.format_probed = true;
        if (plan.format == "raw" && !disk.read_only)
            served.notice = fmt::format("guestuml: disk {}: format not given, detected raw; unlike qemu, guestuml "
                                        "cannot refuse guest writes that would make it look like another "
                                        "format: give format=raw", disk.describe());
        else
            served.notice = fmt::format("guestuml: disk {}: format not given, detected {}", disk.describe(),
                                        plan.format);
    }
    served.format = plan.format;
    // A drive declared (or probed) as anything but qcow2 is never read as one.
    if (!disk.remote && plan.format == "qcow2") {
        check_local_chain(disk.path);
        const auto header = read_qcow2_header(disk.path);
        const std::string backing = header ? header->backing_file : "";
        if (!disk.lock_backing && !backing.empty() && !names_protocol(backing)) {
            plan.unlocked_backing = resolve_backing(disk.path, backing);
            plan.backing_format = header->backing_format;
            // Without a recorded format qemu probes the backing file; so do we.
            if (plan.backing_format.empty())
                plan.backing_format = probe_image_format(DiskSpec{plan.unlocked_backing, "", true});
        } else if (is_curl_url(backing)) {
            // libguestfs's overlay over a read-only http(s) drive names the URL.
            plan.served_backing = serve_url(backing);
            plan.backing_format = header->backing_format;
            if (plan.backing_format.empty())
                plan.backing_format = probe_image_format(DiskSpec{{}, "", true, plan.served_backing});
        }
    }
    if (disk.read_only) {
        served.overlay = session_dir / fmt::format("overlay{}.qcow2", index);
        plan.overlay = served.overlay;
        create_overlay(disk, plan);
    }
    return plan;
}

} // namespace

std::string probe_image_format(const DiskSpec& disk)
{
    std::string json;
    try {
        // -U: probing reads one header; it must not fail because another program
        // holds the image's write lock.
        json = run_command_checked({"qemu-img", "info", "-U", "--output=json", "--", qemu_img_source(disk)});
    } catch (const Error& e) {
        throw Error(fmt::format("disk {}: cannot detect its format: {}", disk.describe(), e.what()));
    }
    // Without --backing-chain the top-level "format" key names the image's own format.
    static const std::regex format_key(R"re("format"\s*:\s*"([^"]+)")re");
    std::smatch m;
    if (!std::regex_search(json, m, format_key))
        throw Error(fmt::format("disk {}: qemu-img info reported no format", disk.describe()));
    return m[1].str();
}

StorageDaemon::StorageDaemon(const std::vector<DiskSpec>& disks, const fs::path& session_dir)
{
    stderr_file_ = session_dir / "qemu-storage-daemon.log";
    pid_file_ = session_dir / "qemu-storage-daemon.pid";
    // One log for the daemon and its curl servers: error_output() shows both.
    UniqueFd log(::open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600));
    if (!log)
        throw_errno(fmt::format("cannot create {}", stderr_file_.string()));
    const auto serve_url = [&](const std::string& url) {
        try {
            curl_servers_.emplace_back(url, session_dir, fmt::format("curl{}", curl_servers_.size()), log.get());
        } catch (const Error& e) {
            const std::string said = error_output();
            throw Error(said.empty() ? std::string(e.what()) : fmt::format("{}: {}", e.what(), said));
        }
        return curl_servers_.back().source();
    };
    std::vector<DiskSpec> effective = disks;
    std::vector<UniqueFd> sockets;
    SpawnOptions opts;
    // The pid file appears once every disk is open and exported: the watchdog's signal.
    opts.argv = {"qemu-storage-daemon", "--pidfile", pid_file_.string()};
    for (size_t i = 0; i < disks.size(); ++i) {
        DiskSpec& disk = effective[i];
        if (disk.remote && is_curl_protocol(disk.remote->protocol))
            disk.remote = serve_url(disk.remote->url);
        const int index = static_cast<int>(i);
        ServedDisk served;
        served.socket = session_dir / fmt::format("disk{}.sock", i);
        const BlockdevPlan plan = plan_disk(disk, session_dir, i, served, serve_url);
        sockets.push_back(listen_unix(served.socket));
        const int child_fd = first_socket_fd + index;
        opts.fds.emplace_back(sockets.back().get(), child_fd);
        for (auto& node : blockdev_json(disk, plan)) {
            opts.argv.push_back("--blockdev");
            opts.argv.push_back(std::move(node));
        }
        opts.argv.push_back("--export");
        opts.argv.push_back(export_json(plan.node_name, index, child_fd));
        served_.push_back(std::move(served));
    }

    opts.fds.emplace_back(log.get(), 1);
    opts.fds.emplace_back(log.get(), 2);
    // The daemon parses the images' formats (qcow2, vmdk...): untrusted input too.
    const Sandbox sandbox(storage_sandbox_policy(effective, session_dir));
    opts.sandbox = &sandbox;
    process_ = Process(opts);
    // Our copies of the listening sockets close here: if the daemon dies, UML's
    // pending connections fail instead of waiting for an accept that never comes.
    watchdog_ = std::thread([this, timeout = open_timeout()] { watch_open(timeout); });
}

StorageDaemon::~StorageDaemon()
{
    stop(std::chrono::seconds(5));
    {
        std::lock_guard lock(watchdog_mutex_);
        watchdog_stop_ = true;
    }
    watchdog_cv_.notify_all();
    if (watchdog_.joinable())
        watchdog_.join();
}

void StorageDaemon::watch_open(std::chrono::milliseconds timeout)
{
    // A server that accepts the connection and then says nothing keeps qemu in
    // its handshake for ever, and UML waits for the disk with it. Give up after
    // timeout: the daemon's death stops UML with this message.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(watchdog_mutex_);
    while (!watchdog_stop_) {
        if (fs::exists(pid_file_))
            return;
        pollfd p{process_.exit_fd(), POLLIN, 0};
        if (::poll(&p, 1, 0) > 0)
            return;   // exited: its own message says why
        if (std::chrono::steady_clock::now() >= deadline) {
            {
                std::ofstream log(stderr_file_.string(), std::ios::app);
                log << fmt::format("guestuml: the disks were not open after {:.0f} s (a server that does not "
                                   "answer?); GUESTUML_DISK_OPEN_TIMEOUT sets the limit in seconds\n",
                                   std::chrono::duration<double>(timeout).count());
            }
            // The pidfd, unlike the pid, cannot name a recycled process.
            ::syscall(SYS_pidfd_send_signal, process_.exit_fd(), SIGKILL, nullptr, 0);
            return;
        }
        watchdog_cv_.wait_for(lock, std::chrono::milliseconds(25));
    }
}

std::string StorageDaemon::error_output() const
{
    std::ifstream in(stderr_file_.string(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    constexpr size_t limit = 4096;
    if (text.size() > limit)
        text = "..." + text.substr(text.size() - limit);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

std::vector<pid_t> StorageDaemon::helper_pids() const
{
    std::vector<pid_t> pids;
    for (const auto& server : curl_servers_)
        pids.push_back(server.pid());
    return pids;
}

bool StorageDaemon::stop(std::chrono::milliseconds timeout) noexcept
{
    const bool clean = stop_daemon(timeout);
    // Only the daemon reads from them; they hold nothing to flush.
    for (auto& server : curl_servers_)
        server.process().kill();
    return clean;
}

bool StorageDaemon::stop_daemon(std::chrono::milliseconds timeout) noexcept
{
    const auto clean = [](int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; };
    if (process_.pid() <= 0)
        return false;
    try {
        if (auto status = process_.try_wait())
            return clean(*status);
        process_.signal(SIGTERM);
        if (auto status = process_.wait_for(timeout))
            return clean(*status);
    } catch (const std::exception&) {
    }
    process_.kill();
    return false;
}

} // namespace guestuml
