// The qemu block graph of one disk, as the JSON qemu-storage-daemon's
// --blockdev takes (QAPI BlockdevOptions). Pure: no I/O.
#pragma once

#include "guestuml/disk.hpp"

#include <boost/filesystem/path.hpp>
#include <optional>
#include <string>
#include <vector>

namespace guestuml {

// What the storage daemon decided about a disk before building its nodes.
struct BlockdevPlan {
    std::string node_name;                 // the export's node
    std::string format;                    // the image's format (given or probed)
    boost::filesystem::path overlay;       // read_only: the private qcow2 overlay
    // lock_backing == false: the backing file named in the image's header,
    // resolved, with its format (given by the header or probed). Empty: qemu
    // follows the header itself.
    boost::filesystem::path unlocked_backing;
    // Set: the image's backing file is a URL, read through this server (see
    // curl_nbd_server.hpp) instead of qemu's curl driver.
    std::optional<RemoteSource> served_backing;
    // The format of unlocked_backing or served_backing (given by the header or probed).
    std::string backing_format;
};

// A JSON string literal.
std::string json_string(const std::string& s);

// The protocol node that reaches the image's bytes: a file, a block device or a
// server. read_only nodes are opened without locks, as libguestfs does.
std::string protocol_node_json(const DiskSpec& disk, bool read_only);

// The nodes of one disk, each for a --blockdev, in order; the last is the one
// exported: format over protocol, or, for a read-only disk, the private overlay
// over the image.
std::vector<std::string> blockdev_json(const DiskSpec& disk, const BlockdevPlan& plan);

// "json:{...}" naming the image for qemu-img (remote disks) or its path.
std::string qemu_img_source(const DiskSpec& disk);

} // namespace guestuml
