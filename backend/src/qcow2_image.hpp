// What guestuml reads from a qcow2 file itself, before qemu-storage-daemon
// opens it: the backing file reference, and whether the file still holds every
// table and cluster its metadata points to. qemu reads past the end of a
// truncated qcow2 as zeros without a word, so a cut-off download would look
// like an empty disk; checking the tables here turns that into an error.
// Layout: qemu's docs/interop/qcow2.txt.
#pragma once

#include <boost/filesystem/path.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace guestuml {

struct Qcow2Header {
    std::string backing_file;     // as written in the header (may be relative or "nbd:..."); empty: none
    std::string backing_format;   // the backing format extension; empty: not recorded
    bool external_data_file = false;
};

// nullopt if the file does not start with the qcow2 magic. Throws Error naming
// the file when it cannot be read or its header is cut short.
std::optional<Qcow2Header> read_qcow2_header(const boost::filesystem::path& image);

// Throws Error naming the image and the offset when a table (L1, refcount,
// snapshots, an L2 table) or a data cluster lies beyond the end of the file.
// Reads the L1 table and every L2 table: about 0.01 % of the image's data.
void check_qcow2_complete(const boost::filesystem::path& image);

// True when qemu would read a backing file name as a protocol ("nbd:...",
// "http://...", "json:{...}") rather than a file: a colon before any slash.
bool names_protocol(const std::string& backing);

// The backing file's path as qemu resolves it: relative names are relative to
// the directory of the image that refers to them.
boost::filesystem::path resolve_backing(const boost::filesystem::path& image, const std::string& backing);

} // namespace guestuml
