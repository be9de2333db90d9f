// GuestfsHandle: a libguestfs handle that is closed when it goes out of scope.
#pragma once

#include <guestfs.h>
#include <memory>

namespace guestuml::test {

struct GuestfsCloser {
    void operator()(guestfs_h* g) const noexcept { guestfs_close(g); }
};
using GuestfsHandle = std::unique_ptr<guestfs_h, GuestfsCloser>;

} // namespace guestuml::test
