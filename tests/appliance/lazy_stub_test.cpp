// The appliance builder's lazy stubs, on the host: the ELF reader, the stub's
// source, a stub built with cc standing in for a real library (arguments in
// registers and on the stack, variadic calls, a real library whose constructor
// calls its own functions), and the builder's choice of what to stub in a
// small fake appliance.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "elf_symbols.hpp"
#include "lazy_libraries.hpp"
#include "lazy_stub_source.hpp"

#include "guestuml/error.hpp"
#include "guestuml/helper_paths.hpp"
#include "guestuml/run_command.hpp"
#include "guestuml/temp_dir.hpp"

#include <boost/filesystem/operations.hpp>
#include <fstream>
#include <string>
#include <sys/wait.h>

namespace fs = boost::filesystem;
using namespace guestuml;

namespace {

void write(const fs::path& file, const std::string& text)
{
    fs::create_directories(file.parent_path());
    std::ofstream(file.string(), std::ios::trunc) << text;
}

void cc(const std::vector<std::string>& args)
{
    std::vector<std::string> argv{"cc"};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult r = run_command(argv);
    INFO(r.err);
    REQUIRE(r.succeeded());
}

// A real library: its constructor calls one of its own functions, as libtsk's
// C++ initialisers do; mixed, stack-passed and variadic arguments.
constexpr const char* demo_library = R"(
#include <stdarg.h>
int demo_counter;
static int at_load;
int demo_add(int a, int b) { return a + b; }
double demo_mix(int a, double x, int b, double y, long c, long d, long e, long f, double z)
{ return a + x + b + y + c + d + e + f + z * 1000; }
double demo_vsum(int n, ...)
{ va_list ap; double s = 0; va_start(ap, n); for (int i = 0; i < n; ++i) s += va_arg(ap, double); va_end(ap); return s; }
int demo_loaded(void) { return at_load; }
__attribute__((constructor)) static void init(void) { at_load = demo_add(40, 2); }
)";

constexpr const char* demo_versions = "DEMO_1 { global: demo_*; local: *; };\n";

// Says whether the real library is mapped before and after its first call
// (-1: no /proc), optionally from inside a chroot ("chroot DIR"), and whether
// it is still inside that chroot at the end.
constexpr const char* demo_program = R"(
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int demo_add(int, int);
double demo_mix(int, double, int, double, long, long, long, long, double);
double demo_vsum(int, ...);
int demo_loaded(void);
static int mapped(void)
{ char line[512]; int found = 0; FILE* f = fopen("/proc/self/maps", "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f)) found |= strstr(line, "/real/libdemo.so.1") != NULL;
  fclose(f); return found; }
int main(int argc, char** argv)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3 && strcmp(argv[1], "chroot") == 0 && (chroot(argv[2]) != 0 || chdir("/") != 0))
    return 2;
  printf("before %d\n", mapped());
  printf("add %d\n", demo_add(2, 3));
  printf("mapped %d\n", mapped());
  printf("mix %.1f\n", demo_mix(1, 0.5, 2, 0.25, 3, 4, 5, 6, 0.125));
  printf("vsum %.2f\n", demo_vsum(3, 1.5, 2.25, 3.0));
  printf("loaded %d\n", demo_loaded());
  if (argc == 3) printf("inside %d\n", access("/inside", F_OK) == 0);
  return 0;
}
)";

struct Demo {
    TempDir dir{"guestuml-lazy-stub-test"};
    fs::path real() const { return dir.path() / "real" / "libdemo.so.1"; }
    fs::path program() const { return dir.path() / "demo"; }

    Demo()
    {
        write(dir.path() / "demo.c", demo_library);
        write(dir.path() / "demo.map", demo_versions);
        write(dir.path() / "main.c", demo_program);
        fs::create_directories(real().parent_path());
        cc({"-shared", "-fPIC", "-o", real().string(), "-Wl,-soname,libdemo.so.1",
            "-Wl,--version-script," + (dir.path() / "demo.map").string(), (dir.path() / "demo.c").string()});
        cc({"-o", program().string(), (dir.path() / "main.c").string(), real().string()});
    }

    // Builds a stub for real_path in dir/stub; returns the directory.
    fs::path stub(const std::string& real_path) const
    {
        std::vector<StubFunction> functions;
        for (const char* name : {"demo_add", "demo_mix", "demo_vsum", "demo_loaded"})
            functions.push_back({name, "DEMO_1"});
        const StubSource source = lazy_stub_source(real_path, functions);
        const fs::path out = dir.path() / "stub";
        fs::create_directories(out);
        write(dir.path() / "stub.S", source.assembly);
        write(dir.path() / "stub.map", source.version_script);
        fs::copy_file(helper_program("guestuml-lazy-loader.so"), out / "guestuml-lazy-loader.so",
                      fs::copy_options::overwrite_existing);
        cc({"-shared", "-nostdlib", "-o", (out / "libdemo.so.1").string(), "-Wl,-soname,libdemo.so.1",
            (dir.path() / "stub.S").string(), (out / "guestuml-lazy-loader.so").string(),
            "-Wl,--version-script," + (dir.path() / "stub.map").string()});
        return out;
    }

    CommandResult run(const fs::path& library_path, const std::string& chroot = {}) const
    {
        std::vector<std::string> argv{"env", "LD_LIBRARY_PATH=" + library_path.string(), program().string()};
        if (!chroot.empty())
            argv.insert(argv.end(), {"chroot", chroot});
        return run_command(argv);
    }
};

// After the first call: the same with or without the stub.
constexpr const char* demo_rest = "mix 146.8\nvsum 6.75\nloaded 42\n";

} // namespace

TEST_CASE("ELF reader: sonames, needed libraries, versioned symbols, bad files")
{
    const ElfDynamicInfo libc = read_elf_dynamic_info("/lib/x86_64-linux-gnu/libc.so.6");
    CHECK(libc.soname == "libc.so.6");
    bool printf_found = false;
    for (const auto& s : libc.symbols)
        if (s.name == "printf" && s.defined && s.default_version) {
            printf_found = true;
            CHECK(s.function);
            CHECK(s.version == "GLIBC_2.2.5");
        }
    CHECK(printf_found);

    const Demo demo;
    const ElfDynamicInfo program = read_elf_dynamic_info(demo.program());
    CHECK(std::find(program.needed.begin(), program.needed.end(), "libdemo.so.1") != program.needed.end());
    bool add_imported = false;
    for (const auto& s : program.symbols)
        if (s.name == "demo_add") {
            add_imported = !s.defined && s.version == "DEMO_1";
        }
    CHECK(add_imported);

    write(demo.dir.path() / "text", "not an ELF file at all, but long enough to hold a header............");
    CHECK_THROWS_AS(read_elf_dynamic_info(demo.dir.path() / "text"), Error);
    std::ifstream in(demo.real().string(), std::ios::binary);
    std::string head(200, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    write(demo.dir.path() / "truncated.so", head);
    CHECK_THROWS_AS(read_elf_dynamic_info(demo.dir.path() / "truncated.so"), Error);
}

TEST_CASE("stub source: names and paths the assembly cannot carry are refused")
{
    CHECK_THROWS_AS(lazy_stub_source("relative/libx.so", {{"f", ""}}), Error);
    CHECK_THROWS_AS(lazy_stub_source("/lib/lib\"x.so", {{"f", ""}}), Error);
    CHECK_THROWS_AS(lazy_stub_source("/lib/libx.so", {{"f-g", ""}}), Error);
    CHECK_THROWS_AS(lazy_stub_source("/lib/libx.so", {{"f", ""}, {"f", ""}}), Error);
    const StubSource ok = lazy_stub_source("/lib/libx.so", {{"f", "V_1"}, {"g", ""}});
    CHECK(ok.version_script == "V_1 {\n  global:\n    f;\n};\n");
    CHECK(ok.assembly.find(".asciz\t\"/lib/libx.so\"") != std::string::npos);
}

TEST_CASE("a lazy stub opens the real library at the first call and passes every argument through")
{
    const Demo demo;
    const CommandResult direct = demo.run(demo.real().parent_path());
    REQUIRE(direct.succeeded());
    CHECK(direct.out == std::string("before 1\nadd 5\nmapped 1\n") + demo_rest);

    const CommandResult stubbed = demo.run(demo.stub(demo.real().string()));
    INFO(stubbed.err);
    REQUIRE(stubbed.succeeded());
    CHECK(stubbed.out == std::string("before 0\nadd 5\nmapped 1\n") + demo_rest);

    // First called inside a chroot that holds no libraries (guestfsd calls
    // librpm in a child chrooted into the guest): the real library comes
    // from outside, and the program is back inside afterwards.
    const fs::path jail = demo.dir.path() / "jail";
    write(jail / "inside", "");
    const CommandResult chrooted = demo.run(demo.dir.path() / "stub", jail.string());
    INFO(chrooted.err);
    REQUIRE(chrooted.succeeded());
    CHECK(chrooted.out == std::string("before -1\nadd 5\nmapped -1\n") + demo_rest + "inside 1\n");

    // The real library gone: a clear message and an abort, not a wild jump.
    const CommandResult missing = demo.run(demo.stub((demo.dir.path() / "no-such" / "libdemo.so.1").string()));
    CHECK(WIFSIGNALED(missing.status));
    CHECK(missing.out.find("before 0") != std::string::npos);
    CHECK(missing.err.find("guestuml-lazy-loader.so: cannot open") != std::string::npos);
}

TEST_CASE("the builder stubs a library only guestfsd needs, and only for functions")
{
    const Demo demo;
    const fs::path chroot = demo.dir.path() / "chroot";
    const fs::path libdir = chroot / "usr/lib/x86_64-linux-gnu";
    const fs::path log = demo.dir.path() / "build.log";
    // The demo library under the name of one the builder stubs.
    const auto make_appliance = [&](const std::string& extra_program_code, bool second_user) {
        fs::remove_all(chroot);
        fs::create_directories(libdir);
        fs::create_directories(chroot / "usr/sbin");
        cc({"-shared", "-fPIC", "-o", (libdir / "libhivex.so.0").string(), "-Wl,-soname,libhivex.so.0",
            "-Wl,--version-script," + (demo.dir.path() / "demo.map").string(),
            (demo.dir.path() / "demo.c").string()});
        write(demo.dir.path() / "daemon.c", std::string("int demo_add(int, int);\n") + extra_program_code +
                                                "int main(void) { return demo_add(1, 2) == 3 ? 0 : 1; }\n");
        std::vector<std::string> args{"-o", (chroot / "usr/sbin/guestfsd").string(),
                                      (demo.dir.path() / "daemon.c").string(), (libdir / "libhivex.so.0").string()};
        if (second_user) {
            write(demo.dir.path() / "user.c", "int demo_add(int, int);\nint user_twice(int a) { return demo_add(a, a); }\n");
            cc({"-shared", "-fPIC", "-o", (libdir / "libuser.so.1").string(), "-Wl,-soname,libuser.so.1",
                (demo.dir.path() / "user.c").string(), (libdir / "libhivex.so.0").string()});
            args.push_back((libdir / "libuser.so.1").string());
        }
        cc(args);
    };

    make_appliance("", false);
    LazyLibrariesResult result =
        install_lazy_libraries(chroot, helper_program("guestuml-lazy-loader.so"), log);
    INFO("kept: " << (result.kept.empty() ? "" : result.kept.front()));
    CHECK(result.stubbed == std::vector<std::string>{"libhivex.so.0"});
    const fs::path stub = chroot / "usr/lib/guestuml/lazy/libhivex.so.0";
    REQUIRE(fs::is_regular_file(stub));
    CHECK(fs::is_regular_file(chroot / "usr/lib/guestuml/lazy/guestuml-lazy-loader.so"));
    // Only what guestfsd calls: more would shadow other libraries' functions.
    std::vector<std::string> exported;
    for (const auto& s : read_elf_dynamic_info(stub).symbols)
        if (s.defined)
            exported.push_back(s.name + "@" + s.version);
    CHECK(exported == std::vector<std::string>{"demo_add@DEMO_1"});

    make_appliance("extern int demo_counter;\nint* use_counter = &demo_counter;\n", false);
    result = install_lazy_libraries(chroot, helper_program("guestuml-lazy-loader.so"), log);
    CHECK(result.stubbed.empty());
    REQUIRE(result.kept.size() == 1);
    CHECK(result.kept[0] == "libhivex.so.0: guestfsd uses its data symbol demo_counter");
    CHECK_FALSE(fs::exists(chroot / "usr/lib/guestuml/lazy"));

    make_appliance("int user_twice(int);\nint user_result(void) { return user_twice(2); }\n", true);
    result = install_lazy_libraries(chroot, helper_program("guestuml-lazy-loader.so"), log);
    CHECK(result.stubbed.empty());
    REQUIRE(result.kept.size() == 1);
    CHECK(result.kept[0] == "libhivex.so.0: libuser.so.1 needs it too");

    // A library that calls demo_add without naming libhivex.so.0 would be
    // bound to the stub: the dynamic linker's trace finds it and nothing is
    // stubbed. (guestfsd's RUNPATH finds libcaller.so.1 in the fake tree.)
    make_appliance("", false);
    write(demo.dir.path() / "daemon.c", "int demo_add(int, int);\nint caller_thrice(int);\n"
                                        "int main(void) { return demo_add(1, 2) + caller_thrice(2) == 15 ? 0 : 1; }\n");
    write(demo.dir.path() / "caller.c", "int demo_add(int, int);\nint caller_thrice(int a) { return demo_add(a, demo_add(a, a)); }\n");
    cc({"-shared", "-fPIC", "-o", (libdir / "libcaller.so.1").string(), "-Wl,-soname,libcaller.so.1",
        (demo.dir.path() / "caller.c").string()});
    cc({"-o", (chroot / "usr/sbin/guestfsd").string(), (demo.dir.path() / "daemon.c").string(),
        (libdir / "libcaller.so.1").string(), (libdir / "libhivex.so.0").string(), "-Wl,-rpath," + libdir.string()});
    result = install_lazy_libraries(chroot, helper_program("guestuml-lazy-loader.so"), log);
    CHECK(result.stubbed.empty());
    REQUIRE(result.kept.size() == 1);
    CHECK_THAT(result.kept[0], Catch::StartsWith("all: guestfsd does not link against the stubs: another library "
                                                 "binds to a stub: "));
    CHECK_THAT(result.kept[0], Catch::Contains("libcaller.so.1"));
    CHECK_FALSE(fs::exists(chroot / "usr/lib/guestuml/lazy"));
}
