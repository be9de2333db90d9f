// What a lazy stub library (written by the appliance builder,
// appliance/src/lazy_stub_source.cpp) hands guestuml-lazy-loader.so: the real
// library to open and the table of entry points to fill. The stub is assembly,
// so this layout is fixed: eight-byte fields in this order.
#pragma once

#include <cstdint>

extern "C" {

struct guestuml_lazy_library {
    const char* path;                // the real library, an absolute path in the appliance
    std::uint64_t count;             // entries in names, versions and slots
    const char* const* names;        // the functions the stub exports
    const char* const* versions;     // each one's symbol version, or null
    void** slots;                    // where each stub entry point jumps
    std::uint64_t state;             // lazy_unresolved, lazy_loading or lazy_resolved
};

// Opens lib->path and points every slot at the real function. Called by a
// stub's first call of any of its functions; returns with every slot filled
// (or ends the process with a message on standard error).
void guestuml_lazy_resolve(guestuml_lazy_library* lib);

} // extern "C"

namespace guestuml::lazy_libs {

inline constexpr std::uint64_t lazy_unresolved = 0;
inline constexpr std::uint64_t lazy_loading = 1;
inline constexpr std::uint64_t lazy_resolved = 2;

// Where the builder puts the stubs (and this loader) in the appliance, and the
// LD_LIBRARY_PATH guestuml-init gives guestfsd.
inline constexpr const char* stub_dir = "/usr/lib/guestuml/lazy";
inline constexpr const char* loader_name = "guestuml-lazy-loader.so";

} // namespace guestuml::lazy_libs
