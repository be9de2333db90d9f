// LVM as the appliance sets it up. guestuml-init runs lvm at boot only when a
// device carries an LVM label, and guestuml-vfork.so answers guestfsd's LVM
// listings without lvm while none does; both must agree on what a label is
// and on the configuration lvm reads.
#pragma once

#include <cstddef>
#include <cstring>

namespace guestuml::lvm {

// LVM2 writes its label into one of a device's first four 512-byte sectors.
inline constexpr std::size_t label_scan_bytes = 4 * 512;

// True if one of the first four 512-byte sectors of head[0, size) starts with
// an LVM2 label: "LABELONE", and "LVM2 001" at offset 24.
inline bool has_label(const unsigned char* head, std::size_t size) noexcept
{
    constexpr std::size_t sector = 512;
    for (std::size_t s = 0; s < 4 && (s + 1) * sector <= size; ++s) {
        const unsigned char* p = head + s * sector;
        if (std::memcmp(p, "LABELONE", 8) == 0 && std::memcmp(p + 24, "LVM2 001", 8) == 0)
            return true;
    }
    return false;
}

// Where guestuml-init writes lvm.conf; guestfsd and its tools get
// LVM_SYSTEM_DIR set to it.
inline constexpr char system_dir[] = "/tmp/lvm";

// The lvm.conf guestuml-init writes: there is no udev in the appliance, so no
// devices file, no udev device list and no udev synchronisation. guestfsd
// rewrites it when asked for a device filter (lvm_set_filter).
inline constexpr char appliance_config[] =
    "# Written by guestuml-init: there is no udev in this appliance.\n"
    "devices {\n"
    "\tuse_devicesfile = 0\n"
    "\tobtain_device_list_from_udev = 0\n"
    "}\n"
    "activation {\n"
    "\tudev_sync = 0\n"
    "\tudev_rules = 0\n"
    "}\n";

} // namespace guestuml::lvm
