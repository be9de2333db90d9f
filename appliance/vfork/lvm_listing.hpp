// guestfsd's LVM listings answered in the child it forked, without lvm, while
// there is no LVM to list (lvm_listing.cpp).
#pragma once

namespace guestuml::vfork {

// True if argv is one of guestfsd's LVM listings and lvm would list nothing:
// the caller, a child of guestfsd about to exec lvm, then exits 0 with no
// output, as lvm would have. System calls only and buffers on the stack, so
// that a vfork child may call it.
bool lvm_listing_is_empty(const char* const argv[]) noexcept;

} // namespace guestuml::vfork
