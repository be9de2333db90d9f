#include "disk_links.hpp"

#include "sys.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <fmt/format.h>
#include <unistd.h>

namespace guestuml::init {

namespace {

std::string trimmed(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

} // namespace

std::optional<int> virtio_uml_index(std::string_view sysfs_path)
{
    constexpr std::string_view marker = "/virtio-uml.";
    const size_t at = sysfs_path.find(marker);
    if (at == std::string_view::npos)
        return std::nullopt;
    const char* first = sysfs_path.data() + at + marker.size();
    const char* last = sysfs_path.data() + sysfs_path.size();
    int index = 0;
    const auto [end, ec] = std::from_chars(first, last, index);
    if (ec != std::errc() || end == first || (end != last && *end != '/'))
        return std::nullopt;
    return index;
}

std::string by_path_name(int index, int partition)
{
    if (partition > 0)
        return fmt::format("virtio-uml-{}-part{}", index, partition);
    return fmt::format("virtio-uml-{}", index);
}

std::vector<VirtioDisk> find_virtio_disks()
{
    std::vector<VirtioDisk> disks;
    for (const auto& name : list_dir("/sys/block")) {
        if (name.rfind("vd", 0) != 0)
            continue;
        const std::string sys = "/sys/block/" + name;
        const auto index = virtio_uml_index(read_link(sys));
        if (!index)
            continue;
        VirtioDisk disk{*index, name, {}};
        for (const auto& entry : list_dir(sys)) {
            if (entry.rfind(name, 0) != 0)
                continue;
            const auto number = try_read_file(sys + "/" + entry + "/partition");
            if (number)
                disk.partitions.push_back({std::stoi(*number), entry});
        }
        disks.push_back(std::move(disk));
    }
    std::sort(disks.begin(), disks.end(),
              [](const VirtioDisk& a, const VirtioDisk& b) { return a.index < b.index; });
    return disks;
}

void make_by_path_links(const std::vector<VirtioDisk>& disks)
{
    const std::string dir = "/dev/disk/by-path/";
    for (const auto& disk : disks) {
        make_symlink("../../" + disk.name, dir + by_path_name(disk.index));
        for (const auto& part : disk.partitions)
            make_symlink("../../" + part.name, dir + by_path_name(disk.index, part.number));
    }
}

bool make_virtio_port_links(const std::string& expected, std::chrono::milliseconds timeout)
{
    // The driver adds ports when the device's control messages arrive, which can
    // be after virtio_console's load returned: wait for the port guestfsd needs.
    const std::string ports = "/sys/class/virtio-ports/";
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        bool found = expected.empty();
        for (const auto& port : list_dir(ports)) {
            const auto name = try_read_file(ports + port + "/name");
            if (!name)
                continue;
            const std::string link = trimmed(*name);
            if (link.empty() || link.find('/') != std::string::npos)
                continue;
            found = found || link == expected;
            make_symlink("../" + port, "/dev/virtio-ports/" + link);
        }
        if (found || std::chrono::steady_clock::now() >= deadline)
            return found;
        const timespec pause{0, 2'000'000};
        ::nanosleep(&pause, nullptr);
    }
}

} // namespace guestuml::init
