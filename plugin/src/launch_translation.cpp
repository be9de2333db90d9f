#include "launch_translation.hpp"

#include "kernel_append.hpp"
#include "remote_drive.hpp"

#include "guestuml/error.hpp"

#include <algorithm>
#include <array>
#include <boost/filesystem/operations.hpp>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <set>

namespace guestuml::plugin {
namespace {

constexpr std::string_view channel_port_name = "org.libguestfs.channel.0";
constexpr std::string_view appliance_drive_id = "appliance";

template <size_t N>
bool one_of(std::string_view value, const std::array<std::string_view, N>& set)
{
    return std::find(set.begin(), set.end(), value) != set.end();
}

std::string describe(const OptionList& list)
{
    std::string out;
    for (const auto& [k, v] : list.items)
        out += fmt::format("{}{}={}", out.empty() ? "" : ",", k, v);
    return out;
}

std::optional<unsigned long long> parse_number(std::string_view text)
{
    unsigned long long n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return n;
}

// -m takes MiB by default and accepts a size suffix, alone or as size=.
unsigned parse_memory(const std::string& value)
{
    const OptionList list = parse_option_list(value, "size");
    for (const auto& [k, v] : list.items)
        if (k != "size")
            throw Error(fmt::format("-m {}: unsupported parameter '{}' (memory hotplug)", value, k));
    std::string size = list.get("size").value_or("");
    unsigned long long scale_mb = 1;
    if (!size.empty() && std::string_view("MmGgTt").find(size.back()) != std::string_view::npos) {
        const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(size.back())));
        scale_mb = unit == 'M' ? 1 : unit == 'G' ? 1024 : 1024 * 1024;
        size.pop_back();
    }
    const auto n = parse_number(size);
    if (!n)
        throw Error(fmt::format("-m {}: not a memory size in MiB", value));
    const unsigned long long mb = *n * scale_mb;
    if (mb < min_memory_mb)
        throw Error(fmt::format("-m {}: the UML appliance needs at least {} MiB", value, min_memory_mb));
    if (mb > 64 * 1024)
        throw Error(fmt::format("-m {}: more than the 64 GiB guestuml allows", value));
    return static_cast<unsigned>(mb);
}

unsigned parse_cpus(const std::string& value)
{
    const OptionList list = parse_option_list(value, "cpus");
    const auto n = parse_number(list.get("cpus").value_or("1"));
    if (!n || *n == 0)
        throw Error(fmt::format("-smp {}: not a CPU count", value));
    return static_cast<unsigned>(*n);
}

bool is_on(const std::string& value) { return value == "on" || value == "yes" || value == "true"; }

bool is_off(const std::string& value) { return value == "off" || value == "no" || value == "false"; }

DiskSpec disk_from_drive(const OptionList& drive)
{
    static constexpr std::array cache_modes{std::string_view{"writeback"}, std::string_view{"unsafe"},
                                            std::string_view{"none"}, std::string_view{"directsync"},
                                            std::string_view{"writethrough"}};
    const std::string id = drive.get("id").value_or("");
    const std::string what = id.empty() ? fmt::format("-drive {}", describe(drive)) : fmt::format("-drive id={}", id);

    DiskSpec disk;
    std::optional<std::string> file, overlay, overlay_format;
    for (const auto& [k, v] : drive.items) {
        if (k == "id") {
        } else if (k == "file") {
            file = v;
        } else if (k == "format") {
            disk.format = v;
        } else if (k == "if") {
            if (v != "none")
                throw Error(fmt::format("{}: if={} is not supported; guestuml-qemu attaches drives with "
                                        "if=none and -device scsi-hd or virtio-blk-pci", what, v));
        } else if (k == "cache") {
            if (!one_of(v, cache_modes))
                throw Error(fmt::format("{}: unknown cache mode '{}'", what, v));
        } else if (k == "snapshot" || k == "readonly") {
            if (is_on(v))
                disk.read_only = true;
            else if (!is_off(v))
                throw Error(fmt::format("{}: {}={} is not on or off", what, k, v));
        } else if (k == "copy-on-read") {
            // Only changes where reads are cached, never what the guest sees.
        } else if (k == "discard") {
            if (v == "unmap" || v == "on")
                disk.discard = true;
            else if (v == "ignore" || v == "off")
                disk.discard = false;
            else
                throw Error(fmt::format("{}: unknown discard mode '{}'", what, v));
        } else if (k == "media") {
            if (v != "disk")
                throw Error(fmt::format("{}: media={} is not supported", what, v));
        } else if (k == "file.file.filename") {
            overlay = v;
        } else if (k == "file.driver") {
            overlay_format = v;
        } else if (k == "file.file.driver") {
            if (v != "file")
                throw Error(fmt::format("{}: file.file.driver={} is not supported", what, v));
        } else if (k == "file.backing.file.locking") {
            // libguestfs turns locking off so a read-only session can open an image
            // another program has open.
            if (is_off(v))
                disk.lock_backing = false;
            else if (!is_on(v) && v != "auto")
                throw Error(fmt::format("{}: {}={} is not on or off", what, k, v));
        } else {
            throw Error(fmt::format("{}: unsupported drive parameter '{}={}'", what, k, v));
        }
    }
    if (!drive.get("if"))
        throw Error(fmt::format("{}: a drive without if=none is not supported", what));

    if (overlay) {
        // libguestfs's qcow2 overlay over a read-only drive: the guest writes into
        // the overlay, and the user's image is only its backing file.
        if (file)
            throw Error(fmt::format("{}: both file= and file.file.filename= given", what));
        if (!overlay_format)
            throw Error(fmt::format("{}: file.file.filename= without file.driver=", what));
        disk.path = *overlay;
        disk.format = *overlay_format;
    } else {
        if (overlay_format)
            throw Error(fmt::format("{}: file.driver= without file.file.filename=", what));
        if (!file || file->empty())
            throw Error(fmt::format("{}: no file= given", what));
        try {
            disk.remote = parse_remote_drive(*file);
        } catch (const Error& e) {
            throw Error(fmt::format("{}: {}", what, e.what()));
        }
        if (!disk.remote)
            disk.path = *file;
    }
    return disk;
}

struct Devices {
    std::vector<std::string> disk_drive_ids;   // in -device order
    std::optional<std::string> channel_chardev;
};

Devices classify_devices(const std::vector<OptionList>& devices)
{
    static constexpr std::array buses{
        std::string_view{"virtio-scsi-pci"},   std::string_view{"virtio-scsi"},
        std::string_view{"virtio-scsi-device"}, std::string_view{"virtio-serial-pci"},
        std::string_view{"virtio-serial"},     std::string_view{"virtio-serial-device"},
        std::string_view{"virtio-rng-pci"},    std::string_view{"virtio-rng"},
        std::string_view{"virtio-rng-device"},
    };
    static constexpr std::array disks{std::string_view{"scsi-hd"}, std::string_view{"virtio-blk-pci"},
                                      std::string_view{"virtio-blk"}, std::string_view{"virtio-blk-device"}};
    static constexpr std::array disk_keys{std::string_view{"driver"}, std::string_view{"drive"},
                                          std::string_view{"bus"}, std::string_view{"id"},
                                          std::string_view{"bootindex"}};
    Devices out;
    for (const auto& dev : devices) {
        const std::string driver = dev.get("driver").value_or("");
        if (one_of(driver, buses))
            continue;
        if (one_of(driver, disks)) {
            for (const auto& [k, v] : dev.items) {
                if (k == "serial")
                    throw Error(fmt::format("-device {}: serial={} (a disk label) is not supported by guestuml yet",
                                            describe(dev), v));
                if (!one_of(k, disk_keys))
                    throw Error(fmt::format("-device {}: unsupported disk property '{}={}'", describe(dev), k, v));
            }
            const auto drive = dev.get("drive");
            if (!drive)
                throw Error(fmt::format("-device {}: no drive= given", describe(dev)));
            out.disk_drive_ids.push_back(*drive);
            continue;
        }
        if (driver == "virtserialport") {
            const auto name = dev.get("name");
            if (name != channel_port_name)
                throw Error(fmt::format("-device {}: only the port '{}' (guestfsd's channel) is supported",
                                        describe(dev), channel_port_name));
            if (out.channel_chardev)
                throw Error(fmt::format("-device {}: a second guestfsd channel", describe(dev)));
            out.channel_chardev = dev.get("chardev");
            if (!out.channel_chardev)
                throw Error(fmt::format("-device {}: no chardev= given", describe(dev)));
            continue;
        }
        if (driver.starts_with("virtio-net") || driver == "e1000" || driver == "rtl8139")
            throw Error(fmt::format("-device {}: the guestuml appliance has no network yet", describe(dev)));
        throw Error(fmt::format("-device {}: unsupported device '{}'", describe(dev), driver));
    }
    return out;
}

std::map<std::string, std::string> socket_chardevs(const std::vector<OptionList>& chardevs)
{
    std::map<std::string, std::string> paths;
    for (const auto& chr : chardevs) {
        if (chr.get("backend") != "socket")
            throw Error(fmt::format("-chardev {}: only socket chardevs are supported", describe(chr)));
        for (const auto& [k, v] : chr.items)
            if (k != "backend" && k != "id" && k != "path")
                throw Error(fmt::format("-chardev {}: unsupported parameter '{}={}' (guestuml-qemu connects "
                                        "to a listening Unix socket)", describe(chr), k, v));
        const auto id = chr.get("id");
        const auto path = chr.get("path");
        if (!id || !path || path->empty())
            throw Error(fmt::format("-chardev {}: id= and path= are required", describe(chr)));
        paths[*id] = *path;
    }
    return paths;
}

void check_host_side(const QemuCommandLine& cmd, LaunchPlan& plan)
{
    for (const auto& display : cmd.displays)
        if (display != "none")
            throw Error(fmt::format("-display {}: guestuml-qemu has no display", display));
    if (!cmd.netdevs.empty())
        throw Error(fmt::format("-netdev {}: the guestuml appliance has no network yet",
                                cmd.netdevs.front().get("type").value_or("")));
    for (const auto& object : cmd.objects)
        if (object.get("qom-type") != "rng-random")
            throw Error(fmt::format("-object {}: unsupported object", describe(object)));
    for (const auto& serial : cmd.serials) {
        if (serial == "stdio")
            plan.console_to_stdout = true;
        else if (serial != "none" && serial != "null")
            throw Error(fmt::format("-serial {}: only stdio is supported", serial));
    }
    if (cmd.qmp)
        throw Error(fmt::format("-qmp {}: a QMP monitor on a running guest is not supported", *cmd.qmp));
}

} // namespace

LaunchPlan translate_launch(const QemuCommandLine& cmd)
{
    LaunchPlan plan;
    check_host_side(cmd, plan);

    if (!cmd.kernel)
        throw Error("no -kernel given: guestuml-qemu only boots the guestuml appliance "
                    "(run 'eval \"$(guestuml env)\"' to set LIBGUESTFS_PATH)");
    plan.config.kernel = *cmd.kernel;
    if (cmd.memory)
        plan.config.memory_mb = parse_memory(*cmd.memory);
    if (cmd.smp) {
        if (const unsigned cpus = parse_cpus(*cmd.smp); cpus > 1)
            plan.notes.push_back(fmt::format("-smp {}: the UML appliance runs on one CPU", *cmd.smp));
    }
    if (cmd.append)
        plan.config.kernel_args = appliance_kernel_args(*cmd.append);

    std::map<std::string, const OptionList*> drives_by_id;
    for (const auto& drive : cmd.drives) {
        const auto id = drive.get("id");
        if (!id)
            throw Error(fmt::format("-drive {}: no id= given", describe(drive)));
        if (!drives_by_id.emplace(*id, &drive).second)
            throw Error(fmt::format("-drive id={}: duplicate drive id", *id));
    }

    if (auto it = drives_by_id.find(std::string(appliance_drive_id)); it != drives_by_id.end()) {
        const OptionList& drive = *it->second;
        const auto file = drive.get("file");
        const auto format = drive.get("format");
        if (!file || file->empty())
            throw Error("-drive id=appliance: no file= given");
        if (format && *format != "raw")
            throw Error(fmt::format("-drive id=appliance: format={}: the appliance root must be raw", *format));
        plan.config.root = *file;
    } else {
        throw Error("no appliance drive (-drive id=appliance): libguestfs is not using the guestuml "
                    "fixed appliance (run 'eval \"$(guestuml env)\"' to set LIBGUESTFS_PATH)");
    }

    const Devices devices = classify_devices(cmd.devices);
    std::set<std::string> attached;
    for (const auto& id : devices.disk_drive_ids) {
        if (!attached.insert(id).second)
            throw Error(fmt::format("-drive id={}: attached to two devices", id));
        if (id == appliance_drive_id)
            continue;
        const auto it = drives_by_id.find(id);
        if (it == drives_by_id.end())
            throw Error(fmt::format("-device drive={}: no -drive with id={}", id, id));
        plan.config.disks.push_back(disk_from_drive(*it->second));
    }
    for (const auto& [id, drive] : drives_by_id)
        if (!attached.count(id))
            throw Error(fmt::format("-drive id={}: not attached to any -device", id));

    const auto chardevs = socket_chardevs(cmd.chardevs);
    if (!devices.channel_chardev)
        throw Error(fmt::format("no guestfsd channel: expected -device virtserialport,name={}", channel_port_name));
    const auto chr = chardevs.find(*devices.channel_chardev);
    if (chr == chardevs.end())
        throw Error(fmt::format("-device virtserialport,chardev={}: no -chardev with id={}",
                                *devices.channel_chardev, *devices.channel_chardev));
    if (chardevs.size() > 1)
        throw Error("more than one -chardev: only guestfsd's channel is supported");
    plan.channel_socket = chr->second;
    return plan;
}

void check_uml_kernel(const boost::filesystem::path& kernel)
{
    std::ifstream in(kernel.string(), std::ios::binary);
    if (!in)
        throw Error(fmt::format("-kernel {}: cannot open: {}", kernel.string(), std::strerror(errno)));
    std::array<char, 4> magic{};
    in.read(magic.data(), magic.size());
    if (in.gcount() == 4 && std::memcmp(magic.data(), "\x7f" "ELF", 4) == 0)
        return;
    throw Error(fmt::format("-kernel {}: not a User-mode Linux kernel (an ELF program): libguestfs is "
                            "not using the guestuml appliance; run 'eval \"$(guestuml env)\"' to set "
                            "LIBGUESTFS_PATH", kernel.string()));
}

} // namespace guestuml::plugin
