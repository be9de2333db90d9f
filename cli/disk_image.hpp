// A disk image named on the command line, checked on the host before any
// appliance boots, so that bad input fails fast with exit code 2.
#pragma once

#include <string>

namespace guestuml::cli {

struct DiskImage {
    std::string path;
    std::string format;   // qemu's name for it ("raw", "qcow2"...), probed by qemu-img
};

// Checks that path is a readable, non-empty disk image and finds its format.
// Throws UsageError saying what is wrong (missing, a directory, empty, not a disk).
DiskImage probe_disk_image(const std::string& path);

} // namespace guestuml::cli
