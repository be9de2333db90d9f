// What `udevadm settle` does in the appliance, which has no udevd to wait
// for: it makes the /dev/mapper links udev would have made. Shared by the
// udevadm shim and guestuml-vfork.so, which answers guestfsd's settles
// without running the shim.
#pragma once

namespace guestuml::udevadm {

// For every device-mapper device in sys_block (/sys/block): dev_dir/mapper/NAME
// becomes a symlink to ../dm-N (replacing, atomically, a node libdevmapper
// made), and dev_dir/dm-N is made if missing; links whose dm-N is gone are
// removed. Best effort, never fails. Makes system calls only, with buffers on
// the stack (no malloc, no stdio), so that a vfork child may call it.
void make_mapper_links(const char* sys_block = "/sys/block", const char* dev_dir = "/dev") noexcept;

// True for the arguments of a settle: any argument after argv[0] is "settle".
bool is_settle(const char* const argv[]) noexcept;

} // namespace guestuml::udevadm
