// A disk image the appliance should see, in /dev/sdX order.
#pragma once

#include <boost/filesystem/path.hpp>
#include <string>

namespace guestuml {

struct DiskSpec {
    boost::filesystem::path path;   // image file or block device
    // qemu block driver of the image ("raw", "qcow2", "vmdk", ...). Empty: the
    // format is probed, as qemu does for a drive given without format=.
    std::string format;
    // The image is opened read-only; the guest's writes go to a private overlay.
    bool read_only = false;
};

// Checks what can be checked before any process starts (exists, is a regular
// file or block device, readable, writable unless read_only). Throws Error
// naming the disk.
void validate_disk(const DiskSpec& disk);

} // namespace guestuml
