// guestuml-lazy-loader.so: the shared half of the lazy stub libraries in the
// appliance (docs/lazy-libraries.md). guestfsd links about 70 libraries, and
// half of them come only through a few libraries it calls for rare requests
// (The Sleuth Kit, YARA, RPM, hivex, the systemd journal). In their place
// guestfsd finds stubs that export the same functions; the first call of any
// of them comes here, which opens the real library and points the stub's
// entry points at it.
#include "lazy_library_abi.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <pthread.h>

using guestuml::lazy_libs::lazy_loading;
using guestuml::lazy_libs::lazy_resolved;
using guestuml::lazy_libs::stub_dir;

namespace {

// One lock for every stub: guestfsd has a single thread, and a real library
// opened here may itself call another stubbed library from its constructors
// (hence recursive).
pthread_mutex_t resolve_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

// The stub's caller cannot be given an error (the stub knows no signature),
// and returning would jump to nothing: say why on guestfsd's console and end.
[[noreturn]] void fail(const char* what, const char* name, const guestuml_lazy_library* lib, const char* detail)
{
    std::fprintf(stderr, "guestuml-lazy-loader.so: %s%s%s %s: %s\n", what, *name ? " " : "", name, lib->path,
                 detail ? detail : "");
    std::abort();
}

// guestuml-init gives guestfsd LD_LIBRARY_PATH=stub_dir so that it finds the
// stubs; the programs guestfsd runs must find the real libraries.
__attribute__((constructor)) void forget_stub_path()
{
    const char* path = std::getenv("LD_LIBRARY_PATH");
    if (path != nullptr && std::strcmp(path, stub_dir) == 0)
        ::unsetenv("LD_LIBRARY_PATH");
}

} // namespace

extern "C" __attribute__((visibility("default"))) void guestuml_lazy_resolve(guestuml_lazy_library* lib)
{
    ::pthread_mutex_lock(&resolve_lock);
    if (lib->state == lazy_resolved) {
        ::pthread_mutex_unlock(&resolve_lock);
        return;
    }
    if (lib->state == lazy_loading)
        fail("a function of", "", lib, "called while the library itself was being opened");
    lib->state = lazy_loading;
    // RTLD_DEEPBIND: the real library's calls of its own exported functions
    // must reach itself, not the stub that shadows it in the global scope
    // (whose entry points are not filled in yet while its constructors run).
    void* handle = ::dlopen(lib->path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (handle == nullptr)
        fail("cannot open", "", lib, ::dlerror());
    for (std::uint64_t i = 0; i < lib->count; ++i) {
        void* f = lib->versions[i] != nullptr ? ::dlvsym(handle, lib->names[i], lib->versions[i])
                                              : ::dlsym(handle, lib->names[i]);
        if (f == nullptr)
            fail("no function", lib->names[i], lib, ::dlerror());
        lib->slots[i] = f;
    }
    __atomic_store_n(&lib->state, lazy_resolved, __ATOMIC_RELEASE);
    ::pthread_mutex_unlock(&resolve_lock);
}
