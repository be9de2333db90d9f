// The next definition of a function one of guestfsd's preloads defines too:
// the C library's, or another preload's in front of it. Header-only, for
// preloads built without a C++ runtime of their own.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>

namespace guestuml::preload {

// Without it guestfsd cannot run at all, so a missing one ends the process.
template <typename F>
F next_symbol(const char* name)
{
    auto* f = reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
    if (f == nullptr) {
        // Each preload has its own copy of this function (hidden visibility),
        // so its address names the preload that asked.
        Dl_info self{};
        ::dladdr(reinterpret_cast<void*>(&next_symbol<F>), &self);
        std::fprintf(stderr, "%s: %s was not found: %s\n", self.dli_fname ? self.dli_fname : "guestfsd preload",
                     name, ::dlerror());
        std::abort();
    }
    return f;
}

// Resolved by the preload's constructor, or at first use if that comes
// earlier: libraries guestfsd loads may call these from their own
// constructors, before the preload's runs.
template <typename F>
F& cached(F& slot, const char* name)
{
    if (slot == nullptr)
        slot = next_symbol<F>(name);
    return slot;
}

} // namespace guestuml::preload
