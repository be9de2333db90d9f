// The filesystems and standard paths every Linux userland expects, made without
// mount(8) or udev.
#pragma once

#include "boot_log.hpp"

namespace guestuml::init {

// /proc, /sys and (unless the kernel already did) devtmpfs on /dev.
void mount_kernel_filesystems();

// /dev/pts, /dev/shm, /run (+ /run/lock), /sysroot, /dev/fd and /dev/std*,
// /etc/mtab and a fresh /etc/machine-id. Needs a writable root for the /etc
// files; with a read-only root it keeps what the image has.
void prepare_runtime_paths(bool root_writable, const BootLog& log);

// Without a writable root: tmpfs on /tmp, /run and /var/tmp so that guestfsd
// and the tools it runs still have somewhere to write.
void mount_scratch_tmpfs(const BootLog& log);

} // namespace guestuml::init
