#include "storage_daemon.hpp"

#include "guestuml/error.hpp"
#include "guestuml/run_command.hpp"
#include "unix_socket.hpp"

#include <boost/filesystem/operations.hpp>
#include <csignal>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <regex>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>

namespace fs = boost::filesystem;

namespace guestuml {
namespace {

constexpr int first_socket_fd = 3;

std::string json_string(const std::string& s)
{
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\')
            out += fmt::format("\\{}", static_cast<char>(c));
        else if (c < 0x20)
            out += fmt::format("\\u{:04x}", c);
        else
            out += static_cast<char>(c);
    }
    return out + "\"";
}

// The protocol driver for a host file: block devices need host_device.
std::string file_driver(const fs::path& path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode) ? "host_device" : "file";
}

std::string protocol_node(const fs::path& path, bool read_only)
{
    // Like libguestfs, the read-only base is opened without locks: the user may
    // inspect an image another program has open.
    return fmt::format(R"({{"driver":"{}","filename":{}{}}})", file_driver(path), json_string(path.string()),
                       read_only ? R"(,"read-only":true,"locking":"off")" : "");
}

std::string blockdev_json(const DiskSpec& disk, const ServedDisk& served, int index)
{
    const fs::path image = fs::absolute(disk.path);
    if (!disk.read_only)
        return fmt::format(R"({{"driver":{},"node-name":"disk{}","file":{}}})", json_string(served.format), index,
                           protocol_node(image, false));
    return fmt::format(R"({{"driver":"qcow2","node-name":"disk{}","file":{},)"
                       R"("backing":{{"driver":{},"read-only":true,"file":{}}}}})",
                       index, protocol_node(served.overlay, false), json_string(served.format),
                       protocol_node(image, true));
}

std::string export_json(int index, int fd)
{
    return fmt::format(R"({{"type":"vhost-user-blk","id":"export{0}","node-name":"disk{0}","writable":true,)"
                       R"("addr":{{"type":"fd","str":"{1}"}}}})",
                       index, fd);
}

void create_overlay(const DiskSpec& disk, const ServedDisk& served)
{
    try {
        run_command_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-F", served.format, "-b",
                             fs::absolute(disk.path).string(), served.overlay.string()});
    } catch (const Error& e) {
        throw Error(fmt::format("disk {}: cannot create its read-only overlay: {}", disk.path.string(), e.what()));
    }
}

} // namespace

std::string probe_image_format(const fs::path& image)
{
    std::string json;
    try {
        json = run_command_checked({"qemu-img", "info", "--output=json", "--", image.string()});
    } catch (const Error& e) {
        throw Error(fmt::format("disk {}: cannot detect its format: {}", image.string(), e.what()));
    }
    // Without --backing-chain the top-level "format" key names the image's own format.
    static const std::regex format_key(R"re("format"\s*:\s*"([^"]+)")re");
    std::smatch m;
    if (!std::regex_search(json, m, format_key))
        throw Error(fmt::format("disk {}: qemu-img info reported no format", image.string()));
    return m[1].str();
}

StorageDaemon::StorageDaemon(const std::vector<DiskSpec>& disks, const fs::path& session_dir)
{
    stderr_file_ = session_dir / "qemu-storage-daemon.log";
    std::vector<UniqueFd> sockets;
    SpawnOptions opts;
    opts.argv = {"qemu-storage-daemon"};
    for (size_t i = 0; i < disks.size(); ++i) {
        const DiskSpec& disk = disks[i];
        const int index = static_cast<int>(i);
        ServedDisk served;
        served.socket = session_dir / fmt::format("disk{}.sock", i);
        served.format = disk.format;
        if (served.format.empty()) {
            served.format = probe_image_format(disk.path);
            served.format_probed = true;
        }
        if (disk.read_only) {
            served.overlay = session_dir / fmt::format("overlay{}.qcow2", i);
            create_overlay(disk, served);
        }
        sockets.push_back(listen_unix(served.socket));
        const int child_fd = first_socket_fd + index;
        opts.fds.emplace_back(sockets.back().get(), child_fd);
        opts.argv.push_back("--blockdev");
        opts.argv.push_back(blockdev_json(disk, served, index));
        opts.argv.push_back("--export");
        opts.argv.push_back(export_json(index, child_fd));
        served_.push_back(std::move(served));
    }

    UniqueFd log(::open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!log)
        throw_errno(fmt::format("cannot create {}", stderr_file_.string()));
    opts.fds.emplace_back(log.get(), 1);
    opts.fds.emplace_back(log.get(), 2);
    process_ = Process(opts);
    // Our copies of the listening sockets close here: if the daemon dies, UML's
    // pending connections fail instead of waiting for an accept that never comes.
}

StorageDaemon::~StorageDaemon() { stop(std::chrono::seconds(5)); }

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

bool StorageDaemon::stop(std::chrono::milliseconds timeout) noexcept
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
