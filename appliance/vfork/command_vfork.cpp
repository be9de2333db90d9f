// guestuml-vfork.so, preloaded into guestfsd in the appliance: the commands
// guestfsd runs start with vfork instead of fork.
//
// Under UML a fork is dear in proportion to the parent: the guest kernel
// write-protects every private page guestfsd has, and after the child has
// exec'd, guestfsd takes one page fault (a round trip through the host) for
// each of those pages it writes again: 150-200 per command, about two thirds
// of the 20 ms a `udevadm settle` costs guestfsd against 6 ms from sh
// (docs/kernel.md). A vfork child borrows the parent's address space until it
// execs, so nothing is write-protected and nothing faults afterwards.
//
// vfork is only right where the child does nothing but system calls before
// exec. guestfsd's C command runner (commandrvf, behind every command*() and
// udev_settle) is such a place; OCaml's Unix.fork, whose child runs OCaml
// code, is not. fork_entry.S tells them apart by the return address, which
// this constructor computes for the guestfsd builds vetted_guestfsd.hpp lists;
// for any other program or build it stays 0 and every fork is the real one.
#include "vetted_guestfsd.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string_view>
#include <sys/types.h>
#include <unistd.h>

// Read by fork_entry.S; written once, by the constructor, before main runs.
extern "C" {
__attribute__((visibility("hidden"))) std::uintptr_t guestuml_vfork_return_address = 0;
__attribute__((visibility("hidden"))) pid_t (*guestuml_real_fork)() = nullptr;
}

namespace {

pid_t (*c_library_fork())()
{
    auto* real = reinterpret_cast<pid_t (*)()>(::dlsym(RTLD_NEXT, "fork"));
    if (real == nullptr) {
        std::fprintf(stderr, "guestuml-vfork.so: the C library's fork was not found: %s\n", ::dlerror());
        std::abort();
    }
    return real;
}

// Longer build IDs than this are not in vetted_guestfsd.hpp.
constexpr std::size_t max_build_id = 32;

struct MainProgram {
    std::uintptr_t load_address = 0;
    char build_id[2 * max_build_id + 1] = {};   // lower-case hex, empty if none
};

void to_hex(const unsigned char* bytes, std::size_t size, char* out)
{
    static constexpr char digits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < size; ++i) {
        *out++ = digits[bytes[i] >> 4];
        *out++ = digits[bytes[i] & 0xf];
    }
    *out = '\0';
}

void find_build_id(const dl_phdr_info& info, MainProgram& program)
{
    for (int i = 0; i < info.dlpi_phnum; ++i) {
        const ElfW(Phdr)& ph = info.dlpi_phdr[i];
        if (ph.p_type != PT_NOTE)
            continue;
        // Notes are padded to their segment's alignment: 4, or 8 for some.
        const std::size_t align = ph.p_align == 8 ? 8 : 4;
        const auto padded = [align](std::size_t n) { return (n + align - 1) & ~(align - 1); };
        const auto* p = reinterpret_cast<const unsigned char*>(info.dlpi_addr + ph.p_vaddr);
        const auto* end = p + ph.p_memsz;
        while (end - p >= static_cast<std::ptrdiff_t>(sizeof(ElfW(Nhdr)))) {
            const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
            const unsigned char* name = p + sizeof(ElfW(Nhdr));
            if (static_cast<std::size_t>(end - name) < padded(note->n_namesz))
                break;
            const unsigned char* desc = name + padded(note->n_namesz);
            if (static_cast<std::size_t>(end - desc) < note->n_descsz)
                break;
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
                if (note->n_descsz <= max_build_id)
                    to_hex(desc, note->n_descsz, program.build_id);
                return;
            }
            p = desc + std::min(padded(note->n_descsz), static_cast<std::size_t>(end - desc));
        }
    }
}

MainProgram main_program()
{
    MainProgram program;
    // The main program is the first object dl_iterate_phdr reports.
    dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) {
            auto* out = static_cast<MainProgram*>(data);
            out->load_address = info->dlpi_addr;
            find_build_id(*info, *out);
            return 1;
        },
        &program);
    return program;
}

} // namespace

// fork_entry.S's way to the real fork while guestuml_real_fork is unset: a
// library guestfsd loads may fork in its own constructor, before ours runs.
extern "C" __attribute__((visibility("hidden"))) pid_t guestuml_fork_before_setup()
{
    return c_library_fork()();
}

__attribute__((constructor)) static void choose_fork_for_commands()
{
    guestuml_real_fork = c_library_fork();
    // Only guestfsd needs it: the programs it starts get a plain environment.
    ::unsetenv("LD_PRELOAD");

    const MainProgram program = main_program();
    for (const auto& vetted : guestuml::vfork::vetted_guestfsd)
        if (vetted.build_id == program.build_id)
            guestuml_vfork_return_address = program.load_address + vetted.fork_return;
}
