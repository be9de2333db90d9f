// Lazy stubs for the libraries guestfsd links but needs only for rare requests
// (docs/lazy-libraries.md): each is replaced, for guestfsd alone, by a small
// stub that opens the real library at the first call of one of its functions.
// About half of guestfsd's start-up cost goes with them.
#pragma once

#include <boost/filesystem/path.hpp>
#include <string>
#include <vector>

namespace guestuml {

struct LazyLibrariesResult {
    std::vector<std::string> stubbed;   // sonames now served by stubs
    std::vector<std::string> kept;      // "soname: why it was not stubbed"
};

// Writes the stubs and the loader (copied from loader) into the chroot's
// /usr/lib/guestuml/lazy, after checking that each library is safe to replace:
// guestfsd alone needs it and calls only its functions. Builds the stubs with
// the host's cc; checks guestfsd links against them (every symbol bound) and
// removes them all if not. Tool output goes to log. Throws Error only for an
// I/O failure.
LazyLibrariesResult install_lazy_libraries(const boost::filesystem::path& chroot,
                                           const boost::filesystem::path& loader,
                                           const boost::filesystem::path& log);

} // namespace guestuml
