// The /dev links udev would make and guestfsd relies on: /dev/disk/by-path in
// the host's disk order, /dev/virtio-ports/NAME for virtio channels.
#pragma once

#include <chrono>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace guestuml::init {

struct Partition {
    int number;          // K in vdaK
    std::string name;    // "vda1"
};

struct VirtioDisk {
    int index;           // N of the platform device virtio-uml.N: the kernel parameter's position
    std::string name;    // "vda"
    std::vector<Partition> partitions;
};

// N from a sysfs device path containing "/virtio-uml.N/", or nullopt.
std::optional<int> virtio_uml_index(std::string_view sysfs_path);

// The by-path link name: "virtio-uml-N" or "virtio-uml-N-partK" (partition > 0).
std::string by_path_name(int index, int partition = 0);

// Every /sys/block/vd* device that sits on a virtio-uml platform device.
std::vector<VirtioDisk> find_virtio_disks();

// /dev/disk/by-path/virtio-uml-N[-partK] -> ../../vdX[K]. Throws Error.
void make_by_path_links(const std::vector<VirtioDisk>& disks);

// /dev/virtio-ports/NAME -> ../vportXpY for each named virtio console port, waiting
// up to timeout for a port named expected (empty: no wait). Returns whether it
// appeared. Throws Error.
bool make_virtio_port_links(const std::string& expected, std::chrono::milliseconds timeout);

} // namespace guestuml::init
