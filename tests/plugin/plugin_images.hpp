// The disk images the plugin's integration tests inspect, made by the tests:
// host tools for the Debian-like disk, guestfish on guestuml for the rest
// (LVM, MD RAID1, LUKS, btrfs subvolumes need a guest kernel).
#pragma once

#include <boost/filesystem/path.hpp>
#include <string>
#include <vector>

namespace guestuml::plugin::test {

struct PluginImages {
    boost::filesystem::path dir;
    boost::filesystem::path debian;      // raw, MBR: ext4 Debian-like root, swap
    boost::filesystem::path fedora;      // qcow2, GPT: vfat EFI, xfs Fedora-like root, btrfs with subvolumes
    boost::filesystem::path storage_a;   // qcow2, MBR: LVM PV (VG vgtest: LVs data ext4, logs xfs), RAID1 member
    boost::filesystem::path storage_b;   // raw, GPT: RAID1 member, LUKS1 (ext4 Ubuntu-like root inside), swap

    std::vector<boost::filesystem::path> all() const { return {debian, fedora, storage_a, storage_b}; }
    // "-a DEBIAN -a FEDORA ..." for the tools, in /dev/sdX order.
    std::string add_options() const;
};

inline const std::string luks_key = "guestuml-secret";

// The image set's paths under dir ($PLUGIN_IMAGE_DIR in the tests).
PluginImages plugin_images(const boost::filesystem::path& dir);

// Makes every image from scratch and records their sha256 in dir/sha256.txt.
// Throws Error with the failing tool's output.
void build_plugin_images(const PluginImages& images);

// True if every image still has the sha256 recorded when it was built; else
// names the one that changed in *changed.
bool images_unchanged(const PluginImages& images, std::string* changed);

} // namespace guestuml::plugin::test
