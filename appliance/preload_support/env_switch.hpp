// The switches guestuml-init passes guestfsd's preloads in the environment
// (a kernel option such as guestuml_listings=0 becomes NAME=real).
// Header-only, for preloads built without a C++ runtime of their own.
#pragma once

#include <cstdlib>
#include <cstring>

namespace guestuml::preload {

// True unless the environment has name=real. Takes name out of the
// environment either way, so that the programs guestfsd starts never see it.
// For a constructor: guestfsd has a single thread then.
inline bool take_switch(const char* name) noexcept
{
    const char* value = std::getenv(name);
    const bool on = value == nullptr || std::strcmp(value, "real") != 0;
    ::unsetenv(name);
    return on;
}

} // namespace guestuml::preload
