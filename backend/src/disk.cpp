#include "guestuml/disk.hpp"

#include "guestuml/error.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace guestuml {
namespace {

// curl's protocols: read-only, as qemu's curl driver refused to open them writable.
constexpr std::array curl_protocols{std::string_view{"http"}, std::string_view{"https"},
                                    std::string_view{"ftp"}, std::string_view{"ftps"}};

void validate_remote(const DiskSpec& disk, const RemoteSource& remote)
{
    const std::string name = disk.describe();
    if (!is_supported_protocol(remote.protocol))
        throw Error(fmt::format("disk {}: protocol '{}' is not supported by guestuml (supported: nbd, http, "
                                "https, ftp, ftps, ssh)", name, remote.protocol));
    if (remote.host.empty() && remote.socket.empty())
        throw Error(fmt::format("disk {}: no server given", name));
    if (!remote.socket.empty() && remote.protocol != "nbd")
        throw Error(fmt::format("disk {}: a Unix socket is only supported for nbd", name));
    const bool read_only_protocol = is_curl_protocol(remote.protocol);
    if (read_only_protocol && !disk.read_only)
        throw Error(fmt::format("disk {}: qemu's {} driver cannot write; add the drive read-only", name,
                                remote.protocol));
    if ((remote.protocol == "ssh" || read_only_protocol) && remote.path.empty())
        throw Error(fmt::format("disk {}: no path on the server given", name));
}

} // namespace

bool is_supported_protocol(const std::string& protocol)
{
    return protocol == "nbd" || protocol == "ssh" || is_curl_protocol(protocol);
}

bool is_curl_protocol(std::string_view protocol)
{
    return std::find(curl_protocols.begin(), curl_protocols.end(), protocol) != curl_protocols.end();
}

std::string DiskSpec::describe() const
{
    if (!remote)
        return path.string();
    if (!remote->url.empty())
        return remote->url;
    if (!remote->socket.empty())
        return fmt::format("{}+unix://{}?socket={}", remote->protocol,
                           remote->path.empty() ? "" : "/" + remote->path, remote->socket.string());
    return fmt::format("{}://{}{}{}", remote->protocol, remote->host,
                       remote->port ? fmt::format(":{}", remote->port) : "",
                       remote->path.empty() || remote->path.front() == '/' ? remote->path : "/" + remote->path);
}

void validate_disk(const DiskSpec& disk)
{
    if (disk.remote)
        return validate_remote(disk, *disk.remote);
    const std::string name = disk.path.string();
    if (name.empty())
        throw Error("disk: empty file name");
    struct stat st {};
    if (::stat(name.c_str(), &st) == -1)
        throw_errno(fmt::format("disk {}", name));
    if (S_ISDIR(st.st_mode))
        throw Error(fmt::format("disk {}: is a directory, not a disk image", name));
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        throw Error(fmt::format("disk {}: not a regular file or block device", name));
    if (::access(name.c_str(), R_OK) == -1)
        throw_errno(fmt::format("disk {}: cannot read", name));
    if (!disk.read_only && ::access(name.c_str(), W_OK) == -1)
        throw_errno(fmt::format("disk {}: cannot open for writing (add it read-only?)", name));
}

} // namespace guestuml
