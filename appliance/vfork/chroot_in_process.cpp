// guestuml-vfork.so's third part: inspection's Chroot.f without a fork.
//
// libguestfs 1.48's OCaml Chroot.f forks a child for every file check in the
// guest's filesystem: the child chroots, runs a function (an lstat, a small
// file read), writes the marshalled result to a pipe and exits; the parent
// reads it and reaps the child. An inspection of a small Debian image makes
// about 60 of them. Under UML a fork is a new address space whose pages each
// cost a round trip through the host when first touched, and guestfsd's own
// write-protected pages cost one more each afterwards: about 20 ms a call,
// against under 1 ms for a request that does not fork (docs/vfork.md).
//
// For the calls vetted_ocaml_forks.hpp lists, whose functions only make system
// calls and run OCaml, the "child" runs in guestfsd itself:
// 1. fork() returns 0 without forking, after saving guestfsd's root and
//    working directory, its open descriptors, the OCaml runtime's exception
//    handler and local roots, and where Chroot.f's call of fork returns to.
//    The pipe's two ends become one memfd (read end with an offset of its
//    own), since the parent only reads after the child has written all. The
//    child's OCaml code runs over a trap frame of ours, so an exception that
//    leaves its branch ends it as if it had exited 1, instead of unwinding
//    into the parent's frames inside the guest's root.
// 2. Chroot.f's child branch chroots and runs the function. Its close of the
//    pipe's read end, like any close of a descriptor open at the fork, does
//    nothing: in a real child it would have closed the child's copy.
// 3. Its Exit._exit reaches our _exit, which returns to guestfsd's root and
//    directory, closes what the function left open, restores the OCaml state
//    saved in 1, and resumes at Chroot.f's fork call as the parent, with a pid
//    no process can have. Our waitpid reports that pid as exited with the
//    child's status.
// Any of these that does not match exactly forks for real (ocaml_forks.cpp).
#include "chroot_in_process.hpp"

#include "fork_entry.hpp"
#include "next_symbol.hpp"
#include "raw_syscalls.hpp"

#include <bitset>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" {
std::uintptr_t guestuml_chroot_trap[2] = {};
std::uintptr_t guestuml_chroot_trap_stack = 0;
}

namespace guestuml::vfork {
namespace {

// Descriptors above this at a fork make that fork a real one. Every index into
// a bitset of them is checked against it first: bitset's own checks throw,
// and this library has no C++ runtime.
constexpr int max_tracked_fd = 1024;

// The functions ours stand in front of (preload::cached).
struct NextFunctions {
    void (*exit)(int) = nullptr;
    int (*close)(int) = nullptr;
    pid_t (*waitpid)(pid_t, int*, int) = nullptr;
};
NextFunctions next;

// Chroot.f's child that runs in guestfsd, shared by fork, _exit, close and
// waitpid: libc entry points guestfsd calls by name, so the state can only
// live here. guestfsd has a single thread.
struct InProcessChild {
    const OcamlBuild* build = nullptr;
    bool running = false;
    pid_t owner = 0;
    std::uintptr_t resume_sp = 0;       // Chroot.f's frame, where fork returns
    std::uintptr_t resume_ip = 0;       // the instruction after its fork call
    std::uintptr_t exception_pointer = 0;
    std::uintptr_t local_roots = 0;
    int root_fd = -1;                   // guestfsd's root and directory, O_PATH
    int cwd_fd = -1;
    std::bitset<max_tracked_fd> open_at_fork;

    // An exited child not yet reaped.
    bool exited = false;
    int status = 0;

    // What fork_entry.S loads to resume the parent.
    guestuml_resume resume{};
};
InProcessChild child;

// No process has it: pid_max is at most 2^22.
constexpr pid_t in_process_pid = 0x7ffffff0;

[[noreturn]] void exit_now(int status)
{
    preload::cached(next.exit, "_exit")(status);
    std::abort();
}

void close_fd(int fd)
{
    preload::cached(next.close, "close")(fd);
}

std::uintptr_t frame_word(std::uintptr_t sp, std::uintptr_t offset)
{
    return *reinterpret_cast<const std::uintptr_t*>(sp + offset);
}

// An OCaml int's value, or -1 for anything that is not a small non-negative int.
int ocaml_fd(std::uintptr_t value)
{
    if ((value & 1) == 0)
        return -1;
    const auto fd = static_cast<std::intptr_t>(value) >> 1;
    return fd >= 0 && fd < max_tracked_fd ? static_cast<int>(fd) : -1;
}

bool vetted_caller(const OcamlBuild& build, std::uintptr_t return_address)
{
    for (const std::uintptr_t caller : build.vetted->callers)
        if (build.address(caller) == return_address)
            return true;
    return false;
}

// The descriptors open now, from /proc/self/fd; false if any is too large to
// track or the list cannot be read.
bool open_descriptors(std::bitset<max_tracked_fd>& out)
{
    out.reset();
    const std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc/self/fd"), ::closedir);
    if (!dir)
        return false;
    const int own = ::dirfd(dir.get());
    bool complete = true;
    while (const dirent* entry = ::readdir(dir.get())) {
        if (entry->d_name[0] == '.')
            continue;
        const int fd = std::atoi(entry->d_name);
        if (fd == own)
            continue;
        if (fd < 0 || fd >= max_tracked_fd)
            complete = false;
        else
            out[static_cast<std::size_t>(fd)] = true;
    }
    return complete;
}

// Both ends of the pipe become one memfd, the read end with its own offset: a
// result larger than a pipe holds would otherwise block the child for ever,
// with its reader the same thread. False, with the pipe untouched, if the
// memfd cannot be had; dup2 onto a descriptor that is open cannot fail, and
// if it did guestfsd could no longer fall back on the pipe.
bool pipe_to_memfd(int read_fd, int write_fd)
{
    const preload::RawFd memory(::memfd_create("guestuml-chroot-result", MFD_CLOEXEC));
    if (memory.get() < 0)
        return false;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/fd/%d", memory.get());
    const preload::RawFd reader(preload::sys_open(path, O_RDONLY));
    if (reader.get() < 0)
        return false;
    if (::dup2(memory.get(), write_fd) != write_fd || ::dup2(reader.get(), read_fd) != read_fd) {
        std::fprintf(stderr, "guestuml-vfork.so: cannot put a memfd in Chroot.f's pipe: %s\n", std::strerror(errno));
        exit_now(1);
    }
    return true;
}

void forget_saved_directories()
{
    if (child.root_fd >= 0)
        preload::sys_close(child.root_fd);
    if (child.cwd_fd >= 0)
        preload::sys_close(child.cwd_fd);
    child.root_fd = child.cwd_fd = -1;
}

// Back out of the guest's root. guestfsd must never go on inside it: if that
// fails, it ends.
void return_to_appliance_root()
{
    if (::fchdir(child.root_fd) != 0 || ::chroot(".") != 0 || ::fchdir(child.cwd_fd) != 0) {
        std::fprintf(stderr, "guestuml-vfork.so: cannot return from Chroot.f's root: %s\n", std::strerror(errno));
        exit_now(1);
    }
    forget_saved_directories();
}

// What the function opened and left open, a real child's exit would close.
void close_left_open()
{
    std::bitset<max_tracked_fd> now;
    open_descriptors(now);
    const std::bitset<max_tracked_fd> left = now & ~child.open_at_fork;
    for (std::size_t fd = 0; fd < left.size(); ++fd)
        if (left[fd])
            close_fd(static_cast<int>(fd));
}

// Step 3: the child is over, with this status; guestfsd goes on as its parent.
const guestuml_resume* end_child(int status, std::uintptr_t young_ptr)
{
    return_to_appliance_root();
    close_left_open();
    const OcamlBuild& build = *child.build;
    const auto& caml = build.vetted->caml;
    build.caml_field(caml.young_ptr) = young_ptr;
    build.caml_field(caml.exception_pointer) = child.exception_pointer;
    build.caml_field(caml.local_roots) = child.local_roots;
    build.caml_field(caml.bottom_of_stack) = child.resume_sp;
    build.caml_field(caml.last_return_address) = child.resume_ip;
    child.running = false;
    child.exited = true;
    child.status = status & 0xff;

    child.resume.sp = child.resume_sp;
    child.resume.caml_state = build.caml_state();
    child.resume.ip = child.resume_ip;
    child.resume.result = (static_cast<std::uintptr_t>(in_process_pid) << 1) | 1;
    return &child.resume;
}

__attribute__((constructor)) void find_exit_close_waitpid()
{
    preload::cached(next.exit, "_exit");
    preload::cached(next.close, "close");
    preload::cached(next.waitpid, "waitpid");
}

} // namespace

// Everything step 1 needs is checked before anything changes.
bool start_in_process_child(const OcamlBuild& build)
{
    const VettedOcamlForks& v = *build.vetted;
    if (child.running)
        return false;
    const std::uintptr_t sp = build.caml_field(v.caml.bottom_of_stack);
    if (!vetted_caller(build, frame_word(sp, v.frame.size)))
        return false;
    const int read_fd = ocaml_fd(frame_word(sp, v.frame.read_fd));
    const int write_fd = ocaml_fd(frame_word(sp, v.frame.write_fd));
    if (read_fd < 0 || write_fd < 0 || read_fd == write_fd)
        return false;
    if (!open_descriptors(child.open_at_fork) || !child.open_at_fork[static_cast<std::size_t>(read_fd)] ||
        !child.open_at_fork[static_cast<std::size_t>(write_fd)])
        return false;
    child.root_fd = preload::sys_open("/", O_PATH | O_DIRECTORY);
    child.cwd_fd = preload::sys_open(".", O_PATH | O_DIRECTORY);
    if (child.root_fd < 0 || child.cwd_fd < 0 || !pipe_to_memfd(read_fd, write_fd)) {
        forget_saved_directories();
        return false;
    }

    child.build = &build;
    child.resume_sp = sp;
    child.resume_ip = build.address(v.chroot_fork_return);
    std::uintptr_t& handler = build.caml_field(v.caml.exception_pointer);
    child.exception_pointer = handler;
    child.local_roots = build.caml_field(v.caml.local_roots);
    guestuml_chroot_trap[0] = handler;
    guestuml_chroot_trap[1] = reinterpret_cast<std::uintptr_t>(&guestuml_chroot_child_trap);
    handler = reinterpret_cast<std::uintptr_t>(guestuml_chroot_trap);
    // Below the frame the parent resumes in: only the child's dead frames.
    guestuml_chroot_trap_stack = (sp - 64) & ~std::uintptr_t{15};
    child.owner = ::getpid();
    child.exited = false;
    child.running = true;
    return true;
}

} // namespace guestuml::vfork

using guestuml::vfork::child;

extern "C" {

const guestuml_resume* guestuml_exit_or_resume(int status, const std::uintptr_t* entry_sp, std::uintptr_t young_ptr)
{
    // Only Exit._exit from the child's own branch, in guestfsd itself (not a
    // vfork child sharing its memory), below the frame it resumes.
    if (!child.running || entry_sp[0] != child.build->address(child.build->vetted->mllib_exit_return) ||
        reinterpret_cast<std::uintptr_t>(entry_sp) >= child.resume_sp || ::getpid() != child.owner)
        guestuml::vfork::exit_now(status);
    return guestuml::vfork::end_child(status, young_ptr);
}

const guestuml_resume* guestuml_in_process_child_raised(std::uintptr_t young_ptr)
{
    // Our trap frame is only ever under the in-process child's code.
    if (!child.running || ::getpid() != child.owner)
        std::abort();
    return guestuml::vfork::end_child(1, young_ptr);
}

__attribute__((visibility("default"))) int close(int fd)
{
    if (child.running && fd >= 0 && fd < guestuml::vfork::max_tracked_fd &&
        child.open_at_fork[static_cast<std::size_t>(fd)] && ::getpid() == child.owner)
        return 0;
    return guestuml::preload::cached(guestuml::vfork::next.close, "close")(fd);
}

__attribute__((visibility("default"))) pid_t waitpid(pid_t pid, int* status, int options)
{
    if (child.exited && pid == guestuml::vfork::in_process_pid) {
        child.exited = false;
        if (status != nullptr)
            *status = W_EXITCODE(child.status, 0);
        return pid;
    }
    return guestuml::preload::cached(guestuml::vfork::next.waitpid, "waitpid")(pid, status, options);
}

} // extern "C"
