// guestuml-lazy-loader.so: the shared half of the lazy stub libraries in the
// appliance (docs/lazy-libraries.md). guestfsd links about 70 libraries, and
// half of them come only through a few libraries it calls for rare requests
// (The Sleuth Kit, YARA, RPM, hivex, the systemd journal). In their place
// guestfsd finds stubs that export the same functions; the first call of any
// of them comes here, which opens the real library and points the stub's
// entry points at it.
#include "lazy_library_abi.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

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

// guestfsd's root (the appliance's), opened before anything can chroot.
// Written once by the constructor, before guestfsd's main runs.
int appliance_root = -1;

// guestuml-init gives guestfsd LD_LIBRARY_PATH=stub_dir so that it finds the
// stubs; the programs guestfsd runs must find the real libraries.
__attribute__((constructor)) void set_up()
{
    const char* path = std::getenv("LD_LIBRARY_PATH");
    if (path != nullptr && std::strcmp(path, stub_dir) == 0)
        ::unsetenv("LD_LIBRARY_PATH");
    appliance_root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

bool same_file(int fd, const char* path)
{
    struct stat a, b;
    return ::fstat(fd, &a) == 0 && ::stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// guestfsd calls librpm in a child chrooted into the guest's filesystem
// (inspection's Chroot.f). The real library, and the libraries it needs, must
// come from the appliance as they did when guestfsd loaded them at its start,
// never from the guest: for the dlopen the child goes back to the
// appliance's root, and then into the guest's root and directory again.
class ApplianceRoot {
public:
    explicit ApplianceRoot(const guestuml_lazy_library* lib) : lib_(lib)
    {
        if (appliance_root < 0 || same_file(appliance_root, "/"))
            return;
        guest_root_ = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        cwd_ = ::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (guest_root_ < 0 || cwd_ < 0 || ::fchdir(appliance_root) != 0 || ::chroot(".") != 0)
            fail("cannot return to the appliance's root to open", "", lib_, std::strerror(errno));
    }
    ~ApplianceRoot()
    {
        if (guest_root_ < 0)
            return;
        // Staying outside the chroot is not an option: end the process instead.
        if (::fchdir(guest_root_) != 0 || ::chroot(".") != 0 || ::fchdir(cwd_) != 0)
            fail("cannot return to the chroot after opening", "", lib_, std::strerror(errno));
        ::close(guest_root_);
        ::close(cwd_);
    }
    ApplianceRoot(const ApplianceRoot&) = delete;
    ApplianceRoot& operator=(const ApplianceRoot&) = delete;

private:
    const guestuml_lazy_library* lib_;
    int guest_root_ = -1;
    int cwd_ = -1;
};

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
    void* handle = nullptr;
    {
        const ApplianceRoot root(lib);
        handle = ::dlopen(lib->path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    }
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
