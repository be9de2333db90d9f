#include "blockdev.hpp"

#include "guestuml/error.hpp"

#include <boost/filesystem/operations.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

namespace fs = boost::filesystem;

namespace guestuml {
namespace {

// The protocol driver for a host file: block devices need host_device.
std::string file_driver(const fs::path& path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode) ? "host_device" : "file";
}

std::string local_node(const fs::path& path, bool read_only, bool discard)
{
    // Like libguestfs, a read-only base is opened without locks: the user may
    // inspect an image another program has open.
    return fmt::format(R"({{"driver":"{}","filename":{}{}{}}})", file_driver(path), json_string(path.string()),
                       read_only ? R"(,"read-only":true,"locking":"off")" : "",
                       discard ? R"(,"discard":"unmap")" : "");
}

std::string inet(const RemoteSource& r, unsigned default_port)
{
    return fmt::format(R"({{"type":"inet","host":{},"port":"{}"}})", json_string(r.host),
                       r.port ? r.port : default_port);
}

std::string remote_node(const RemoteSource& r, bool read_only)
{
    const std::string ro = read_only ? R"(,"read-only":true)" : "";
    if (r.protocol == "nbd") {
        const std::string server = r.socket.empty()
                                       ? inet(r, 10809)
                                       : fmt::format(R"({{"type":"unix","path":{}}})", json_string(r.socket.string()));
        const std::string exp = r.path.empty() ? "" : fmt::format(R"(,"export":{})", json_string(r.path));
        return fmt::format(R"({{"driver":"nbd","server":{}{}{}}})", server, exp, ro);
    }
    if (r.protocol == "ssh") {
        const std::string user = r.user.empty() ? "" : fmt::format(R"(,"user":{})", json_string(r.user));
        return fmt::format(R"({{"driver":"ssh","server":{{"host":{},"port":"{}"}},"path":{}{}{}}})",
                           json_string(r.host), r.port ? r.port : 22, json_string(r.path), user, ro);
    }
    // curl's drivers (http, https, ftp, ftps) take the URL as libguestfs wrote it.
    return fmt::format(R"({{"driver":{},"url":{},"read-only":true}})", json_string(r.protocol), json_string(r.url));
}

} // namespace

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

std::string protocol_node_json(const DiskSpec& disk, bool read_only)
{
    if (disk.remote)
        return remote_node(*disk.remote, read_only);
    return local_node(fs::absolute(disk.path), read_only, disk.discard && !read_only);
}

std::string qemu_img_source(const DiskSpec& disk)
{
    if (disk.remote)
        return "json:" + protocol_node_json(disk, true);
    return fs::absolute(disk.path).string();
}

std::vector<std::string> blockdev_json(const DiskSpec& disk, const BlockdevPlan& plan)
{
    const std::string node = json_string(plan.node_name);
    const std::string discard = disk.discard ? R"(,"discard":"unmap")" : "";
    std::vector<std::string> nodes;
    // The image's own backing, where qemu must not follow its header alone.
    std::string backing;
    if (!plan.unlocked_backing.empty()) {
        backing = fmt::format(R"(,"backing":{{"driver":{},"read-only":true,"file":{}}})",
                              json_string(plan.backing_format), local_node(plan.unlocked_backing, true, false));
    } else if (plan.served_backing) {
        // A node of its own, referred to by name: options given in place would
        // get the header's URL as a file name too, which the nbd driver refuses.
        const std::string backing_node = json_string(plan.node_name + "-backing");
        nodes.push_back(fmt::format(R"({{"driver":{},"node-name":{},"read-only":true,"file":{}}})",
                                    json_string(plan.backing_format), backing_node,
                                    remote_node(*plan.served_backing, true)));
        backing = fmt::format(R"(,"backing":{})", backing_node);
    }
    if (disk.read_only)
        nodes.push_back(fmt::format(R"({{"driver":"qcow2","node-name":{},"file":{},)"
                                    R"("backing":{{"driver":{},"read-only":true,"file":{}{}}}}})",
                                    node, local_node(plan.overlay, false, false), json_string(plan.format),
                                    protocol_node_json(disk, true), backing));
    else
        nodes.push_back(fmt::format(R"({{"driver":{},"node-name":{}{},"file":{}{}}})", json_string(plan.format),
                                    node, discard, protocol_node_json(disk, false), backing));
    return nodes;
}

} // namespace guestuml
