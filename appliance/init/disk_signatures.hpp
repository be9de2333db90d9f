// Cheap detection of LVM physical volumes and MD RAID members by reading a few
// sectors, so that lvm and mdadm (100+ ms each in the guest) run only when needed.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace guestuml::init {

// True if one of the first four 512-byte sectors in head carries an LVM2 label
// ("LABELONE" at its start, "LVM2 001" at offset 24).
bool has_lvm_label(std::span<const unsigned char> head);

// Byte offsets where an MD superblock may start on a device of size_bytes:
// 1.1 (0), 1.2 (4096), 1.0 (8 KiB from the end, 4 KiB aligned) and 0.90
// (64 KiB from the end, 64 KiB aligned).
std::vector<std::uint64_t> md_superblock_offsets(std::uint64_t size_bytes);

// True if the four bytes are the MD superblock magic 0xa92b4efc (little endian).
bool is_md_magic(std::span<const unsigned char> four_bytes);

struct DiskSignatures {
    bool lvm = false;
    bool md = false;
};

// Reads device (a block device node) and reports what it carries. Unreadable
// devices report nothing.
DiskSignatures probe_signatures(const std::string& device);

} // namespace guestuml::init
