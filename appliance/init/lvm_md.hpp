// Software RAID and LVM activation, done only when a disk carries their
// signatures: mdadm and lvm cost 100+ ms each in the guest.
#pragma once

#include "boot_log.hpp"
#include "lvm_facts.hpp"

#include <functional>
#include <string>
#include <vector>

namespace guestuml::init {

// Where the udev-free LVM configuration lives; guestfsd gets LVM_SYSTEM_DIR=this.
inline constexpr const char* lvm_system_dir = lvm::system_dir;

// The lvm.conf text: no devices file, no udev device list, no udev synchronisation.
std::string lvm_config_text();

// Writes lvm_system_dir/lvm.conf. Throws Error.
void write_lvm_config();

// Probes devices (block device nodes) and runs mdadm and/or lvm as needed; env is
// the tools' environment (PATH, LVM_SYSTEM_DIR). load_md_modules runs before
// mdadm. Failures are warnings.
void activate_md_and_lvm(const std::vector<std::string>& devices,
                         const std::vector<std::string>& env,
                         const std::function<void()>& load_md_modules, const BootLog& log);

} // namespace guestuml::init
