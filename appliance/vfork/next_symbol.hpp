// The next definition of a function guestuml-vfork.so defines too: the C
// library's, or another preload's in front of it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>

namespace guestuml::vfork {

// Without it guestfsd cannot run at all, so a missing one ends the process.
template <typename F>
F next_symbol(const char* name)
{
    auto* f = reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
    if (f == nullptr) {
        std::fprintf(stderr, "guestuml-vfork.so: %s was not found: %s\n", name, ::dlerror());
        std::abort();
    }
    return f;
}

} // namespace guestuml::vfork
