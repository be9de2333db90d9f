// guestfsd's `ls -1v /dev/disk/by-path` answered in the child it forked, without
// ls, while the directory holds only guestuml-init's links (by_path_listing.cpp).
#pragma once

namespace guestuml::vfork {

// For argv {"ls", "-1v", "/dev/disk/by-path"} over a directory of guestuml-init's
// links alone: writes ls's output to stdout and returns ls's exit status.
// Otherwise -1, having written nothing: the caller runs ls. System calls only
// and buffers on the stack, so that a vfork child may call it.
int list_by_path(const char* const argv[]) noexcept;

// The same for directory dir, written to out_fd: ls's exit status, or -1 with
// nothing written if an entry is not one of guestuml-init's links or dir
// cannot be read.
int write_by_path_listing(const char* dir, int out_fd) noexcept;

} // namespace guestuml::vfork
