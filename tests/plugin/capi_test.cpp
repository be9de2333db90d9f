// The libguestfs C API, in this process, on guestuml: two drives, launch,
// inspect, shutdown; guest processes' memory semantics on the minimal kernel,
// and that a guest process cannot make host system calls through UML's stub.
#include "plugin_images.hpp"
#include "test_images.hpp"
#include "tool_run.hpp"

#include "guestfs_handle.hpp"

#include "guestuml/temp_dir.hpp"

#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <fmt/format.h>
#include <guestfs.h>
#include <regex>
#include <sstream>

using namespace guestuml::plugin::test;

namespace {

std::vector<std::string> take_strings(char** list)
{
    std::vector<std::string> out;
    for (size_t i = 0; list && list[i]; ++i) {
        out.emplace_back(list[i]);
        std::free(list[i]);
    }
    std::free(list);
    return out;
}

std::string take_string(char* s)
{
    std::string out = s ? s : "";
    std::free(s);
    return out;
}

// The offset of the first syscall instruction in the stub's code page of the
// UML kernel at kernel_path, from objdump's disassembly of that page's section.
std::uint64_t stub_syscall_offset(const std::string& kernel_path)
{
    const auto dump = run_tool(Hypervisor::guestuml, "objdump -d -j .syscall_stub " + shell_quote(kernel_path));
    INFO(dump.describe());
    REQUIRE(dump.ok());
    const std::regex first_symbol(R"(^([0-9a-f]+) <)");
    const std::regex syscall_line(R"(^\s*([0-9a-f]+):\s.*\tsyscall\s*$)");
    std::istringstream lines(dump.out);
    std::uint64_t start = 0;
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (start == 0 && std::regex_search(line, m, first_symbol))
            start = std::stoull(m[1], nullptr, 16);
        else if (start != 0 && std::regex_match(line, m, syscall_line))
            return std::stoull(m[1], nullptr, 16) - start;
    }
    FAIL("no syscall instruction in the kernel's .syscall_stub section");
    return 0;
}

// Puts the static program at `program` on a small ext4 image in dir, as
// /probe, and has g launch on it and mount it read-only at /sysroot.
void launch_on_probe(guestfs_h* g, const guestuml::TempDir& dir, const char* program)
{
    const auto content = dir.path() / "content";
    boost::filesystem::create_directories(content);
    boost::filesystem::copy_file(program, content / "probe");
    const auto image = dir.path() / "probe.img";
    guestuml::test::make_ext4_image(image, 32, content, "probe");
    REQUIRE(guestfs_add_drive_opts(g, image.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw", -1) == 0);
    REQUIRE(guestfs_launch(g) == 0);
    REQUIRE(guestfs_mount_ro(g, "/dev/sda", "/") == 0);
}

void append_message(guestfs_h*, void* opaque, uint64_t, int, int, const char* buf, size_t len, const uint64_t*,
                    size_t)
{
    static_cast<std::string*>(opaque)->append(buf, len);
}

} // namespace

TEST_CASE("C API: two drives, launch, inspect, shutdown", "[capi]")
{
    apply_guestuml_env();
    const auto images = plugin_images(PLUGIN_IMAGE_DIR);
    guestuml::test::GuestfsHandle handle(guestfs_create());
    guestfs_h* g = handle.get();
    REQUIRE(g);
    REQUIRE(guestfs_add_drive_opts(g, images.debian.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw", -1) == 0);
    REQUIRE(guestfs_add_drive_opts(g, images.fedora.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2", -1) == 0);
    INFO(take_string(guestfs_get_hv(g)));
    REQUIRE(guestfs_launch(g) == 0);
    CHECK(take_strings(guestfs_list_devices(g)) == std::vector<std::string>{"/dev/sda", "/dev/sdb"});
    const auto roots = take_strings(guestfs_inspect_os(g));
    REQUIRE(roots == std::vector<std::string>{"/dev/sda1", "/dev/sdb2"});
    CHECK(take_string(guestfs_inspect_get_distro(g, "/dev/sda1")) == "debian");
    CHECK(take_string(guestfs_inspect_get_hostname(g, "/dev/sda1")) == "debian-test");
    CHECK(take_string(guestfs_inspect_get_distro(g, "/dev/sdb2")) == "fedora");
    CHECK(guestfs_inspect_get_major_version(g, "/dev/sdb2") == 39);

    // The minimal kernel skips writing back a guest process's FP state when it
    // did not change (appliance/kernel/6.12/0003-*). Four processes at once,
    // with vector registers live across every switch between them, must still
    // agree on every hash.
    const char* fp_check =
        "f=$(ls /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libc.so.6 2>/dev/null | head -n1); "
        "for j in 1 2 3 4; do ( for i in 1 2 3 4 5 6; do sha256sum < $f; "
        "gzip -c < $f | gunzip | sha256sum; done > /tmp/fp.$j ) & done; wait; "
        "echo \"$(cat /tmp/fp.* | wc -l) hashes, $(cat /tmp/fp.* | sort -u | wc -l) distinct\"";
    char* fp_args[] = {const_cast<char*>(fp_check), nullptr};
    CHECK(take_string(guestfs_debug(g, "sh", fp_args)) == "48 hashes, 1 distinct");

    // The appliance's root is the host's own files, read through ubd, which
    // reads a request in one host call (appliance/kernel/6.12/0012-*) and
    // writes it into guest memory through UML's memory file (0013-*):
    // large libraries must read back byte for byte.
    const std::string lib_dir = "/usr/lib/x86_64-linux-gnu/";
    std::string expected;
    std::string hash_libs = "cd " + lib_dir + " && sha256sum";
    for (const char* lib : {"libc.so.6", "libcrypto.so.3", "libstdc++.so.6", "libxml2.so.2"}) {
        expected += guestuml::test::sha256_file(lib_dir + lib) + "  " + lib + "\n";
        hash_libs += std::string(" ") + lib;
    }
    expected.pop_back();   // guestfsd's debug sh drops the output's last newline
    char* hash_args[] = {hash_libs.data(), nullptr};
    CHECK(take_string(guestfs_debug(g, "sh", hash_args)) == expected);

    REQUIRE(guestfs_shutdown(g) == 0);
    handle.reset();
    CHECK(images_unchanged(images, nullptr));
}

// The minimal kernel maps a forked child's pages on the host only when touched
// and takes page faults from the host's siginfo, guessing reads from writes
// from the page tables (appliance/kernel/6.12/0006-*, 0007-*). A static probe,
// run in the guest from a disk of its own, checks what processes rely on:
// fresh pages, copy-on-write both ways, file mappings, stack growth, and that
// bad accesses still kill the process instead of faulting for ever.
TEST_CASE("C API: guest processes' memory on the minimal kernel", "[capi]")
{
    apply_guestuml_env();
    guestuml::TempDir dir("guestuml-memory-probe");
    guestuml::test::GuestfsHandle handle(guestfs_create());
    guestfs_h* g = handle.get();
    REQUIRE(g);
    launch_on_probe(g, dir, GUEST_MEMORY_PROBE);
    // Twice, at once: UML then switches between two processes in the middle of
    // their faults and forks.
    char* args[] = {const_cast<char*>("/sysroot/probe /sysroot/probe > /tmp/p1 & "
                                      "/sysroot/probe /sysroot/probe > /tmp/p2; wait; cat /tmp/p1 /tmp/p2"),
                    nullptr};
    const std::string report = take_string(guestfs_debug(g, "sh", args));
    std::string expected;
    for (const char* check : {"first touch by write", "first touch by read", "copy on write", "file mappings",
                              "stack growth", "registers across faults", "write to read-only memory faults",
                              "read of PROT_NONE memory faults", "write to PROT_NONE memory faults", "write to code faults",
                              "read of an unmapped address faults", "mprotect to writable"})
        expected += std::string(check) + ": ok\n";
    expected += expected;
    expected.pop_back();   // guestfsd's debug drops the output's last newline
    CHECK(report == expected);
    REQUIRE(guestfs_shutdown(g) == 0);
}

// Kernel patch 0016 has a guest process run under PTRACE_CONT once the stub
// has run its pending mapping changes, and then a system call made from the
// stub's page runs on the host if the process's seccomp filter lets it: only
// the stub's own mmap, munmap and mprotect, carrying a key the guest never
// sees. A static probe faults, so that the stub runs and continues it, and
// jumps to a syscall instruction of the stub with getpid's number and no key:
// the appliance must stop there (UML panics and says why) rather than run it.
TEST_CASE("C API: a guest process's system call from the stub's page stops the appliance", "[capi]")
{
    apply_guestuml_env();
    const char* appliance = std::getenv("LIBGUESTFS_PATH");
    REQUIRE(appliance);
    // UML on x86_64 maps the stub's code page at 0x7fbffff000: its two data
    // pages, aligned to their size, end below os_get_top_address()'s
    // 0x7fc0002000, and the code page comes right below them.
    const std::uint64_t target = 0x7fbffff000 + stub_syscall_offset(std::string(appliance) + "/kernel");

    guestuml::TempDir dir("guestuml-stub-probe");
    guestuml::test::GuestfsHandle handle(guestfs_create());
    guestfs_h* g = handle.get();
    REQUIRE(g);
    std::string console;
    REQUIRE(guestfs_set_event_callback(g, append_message, GUESTFS_EVENT_APPLIANCE, 0, &console) >= 0);
    launch_on_probe(g, dir, GUEST_STUB_PROBE);
    std::string command = fmt::format("/sysroot/probe {:#x}", target);
    char* args[] = {command.data(), nullptr};
    char* output = guestfs_debug(g, "sh", args);
    INFO("probe: " << (output ? output : guestfs_last_error(g)));
    CHECK(output == nullptr);
    std::free(output);
    CHECK(console.find("made a system call from the stub's page that its seccomp filter refused") !=
          std::string::npos);
}
