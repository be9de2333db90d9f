// Unit tests for the appliance builder's cache: the key follows every input,
// the cache directory rules, the helpers' lookup, the empty initrd, paths in a chroot.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "cache_key.hpp"
#include "chroot_path.hpp"
#include "empty_initrd.hpp"

#include "guestuml/appliance_cache.hpp"
#include "guestuml/error.hpp"
#include "guestuml/helper_paths.hpp"
#include "guestuml/temp_dir.hpp"
#include "scoped_env.hpp"

#include <boost/filesystem/operations.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

namespace fs = boost::filesystem;
using namespace guestuml;
using guestuml::test::ScopedEnv;

namespace {

void write(const fs::path& file, const std::string& text)
{
    fs::create_directories(file.parent_path());
    std::ofstream(file.string(), std::ios::trunc) << text;
}

// A fake set of inputs in a temp dir: every file small, so that changes are cheap.
struct FakeInputs {
    TempDir dir{"guestuml-cache-test"};
    ApplianceInputs inputs;

    FakeInputs()
    {
        const fs::path d = dir.path();
        write(d / "linux.uml", "kernel");
        write(d / "modules/6.1.0/modules.dep", "kernel/a.ko:\n");
        write(d / "modules/6.1.0/kernel/a.ko", "module");
        write(d / "supermin.d/base.tar.gz", "base");
        write(d / "supermin.d/packages", "bash\n");
        write(d / "guestuml-init", "init v1");
        write(d / "udevadm", "shim v1");
        write(d / "guestuml-augeas.so", "preload v1");
        write(d / "guestuml-augeas-table", "table v1");
        write(d / "guestuml-vfork.so", "vfork v1");
        write(d / "guestuml-channel-io.so", "channel v1");
        write(d / "guestuml-lazy-loader.so", "loader v1");
        inputs = {d / "supermin.d", d / "linux.uml", d / "modules/6.1.0", "6.1.0",
                  d / "guestuml-init", d / "udevadm", d / "guestuml-augeas.so", d / "guestuml-augeas-table",
                  d / "guestuml-vfork.so", d / "guestuml-channel-io.so", d / "guestuml-lazy-loader.so"};
    }
};

void set_mtime_later(const fs::path& file)
{
    fs::last_write_time(file, fs::last_write_time(file) + 10);
}

} // namespace

TEST_CASE("the cache key is stable and follows every input")
{
    FakeInputs fake;
    const fs::path d = fake.dir.path();
    const std::string key = appliance_cache_key(fake.inputs);
    CHECK(key.size() == 16);
    CHECK(appliance_cache_key(fake.inputs) == key);

    SECTION("kernel size") { write(d / "linux.uml", "kernel, rebuilt"); }
    SECTION("kernel mtime") { set_mtime_later(d / "linux.uml"); }
    SECTION("a module added") { write(d / "modules/6.1.0/kernel/b.ko", "new"); }
    SECTION("a module changed") { set_mtime_later(d / "modules/6.1.0/kernel/a.ko"); }
    SECTION("supermin.d changed") { write(d / "supermin.d/packages", "bash\nlvm2\n"); }
    SECTION("supermin.d file added") { write(d / "supermin.d/packages-xfs", "xfsprogs\n"); }
    SECTION("init content, same size and mtime")
    {
        const auto mtime = fs::last_write_time(d / "guestuml-init");
        write(d / "guestuml-init", "init v2");
        fs::last_write_time(d / "guestuml-init", mtime);
    }
    SECTION("udevadm shim content") { write(d / "udevadm", "shim v2"); }
    SECTION("Augeas preload content") { write(d / "guestuml-augeas.so", "preload v2"); }
    SECTION("Augeas table writer content") { write(d / "guestuml-augeas-table", "table v2"); }
    SECTION("vfork preload content") { write(d / "guestuml-vfork.so", "vfork v2"); }
    SECTION("channel I/O preload content") { write(d / "guestuml-channel-io.so", "channel v2"); }
    SECTION("lazy stubs' loader content") { write(d / "guestuml-lazy-loader.so", "loader v2"); }
    SECTION("kernel version") { fake.inputs.kernel_version = "6.1.1"; }
    CHECK(appliance_cache_key(fake.inputs) != key);
}

TEST_CASE("a missing input is an error naming it")
{
    FakeInputs fake;
    fs::remove(fake.dir.path() / "linux.uml");
    try {
        appliance_cache_key(fake.inputs);
        FAIL("no error for a missing kernel");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("linux.uml") != std::string::npos);
    }
}

TEST_CASE("the cache directory: GUESTUML_CACHE, then XDG_CACHE_HOME, then HOME")
{
    ScopedEnv cache("GUESTUML_CACHE", "/x/cache");
    ScopedEnv xdg("XDG_CACHE_HOME", "/x/xdg");
    ScopedEnv home("HOME", "/x/home");
    CHECK(appliance_cache_dir() == fs::path("/x/cache"));
    {
        ScopedEnv no_cache("GUESTUML_CACHE", nullptr);
        CHECK(appliance_cache_dir() == fs::path("/x/xdg/guestuml"));
        ScopedEnv no_xdg("XDG_CACHE_HOME", "");
        CHECK(appliance_cache_dir() == fs::path("/x/home/.cache/guestuml"));
    }
}

TEST_CASE("helper programs: GUESTUML_LIBEXEC overrides, the build tree otherwise")
{
    FakeInputs fake;
    {
        ScopedEnv libexec("GUESTUML_LIBEXEC", fake.dir.path().c_str());
        CHECK(helper_program("guestuml-init") == fake.dir.path() / "guestuml-init");
        CHECK_THROWS_AS(helper_program("guestuml-qemu"), Error);
    }
    ScopedEnv no_libexec("GUESTUML_LIBEXEC", nullptr);
    // The test runs from the build tree, which builds both guest programs first.
    CHECK(fs::is_regular_file(helper_program("guestuml-init")));
    CHECK(helper_program("udevadm").filename() == "udevadm");
    CHECK(fs::is_regular_file(helper_program("guestuml-augeas.so")));
    CHECK(fs::is_regular_file(helper_program("guestuml-augeas-table")));
    CHECK(fs::is_regular_file(helper_program("guestuml-vfork.so")));
    CHECK(fs::is_regular_file(helper_program("guestuml-channel-io.so")));
    CHECK(fs::is_regular_file(helper_program("guestuml-lazy-loader.so")));
    CHECK_THROWS_AS(helper_program("no-such-helper"), Error);
}

TEST_CASE("the initrd is an empty newc cpio archive")
{
    const std::string archive = empty_newc_cpio();
    CHECK(archive.size() == 512);
    CHECK(archive.compare(0, 6, "070701") == 0);
    CHECK(archive.compare(110, 11, std::string("TRAILER!!!\0", 11)) == 0);

    TempDir dir("guestuml-cpio-test");
    write_empty_initrd(dir.path() / "initrd");
    // cpio itself must accept it and list nothing.
    const std::string cmd = "cpio -t --quiet < " + (dir.path() / "initrd").string() + " > " +
                            (dir.path() / "list").string() + " 2>&1";
    CHECK(std::system(cmd.c_str()) == 0);
    CHECK(fs::file_size(dir.path() / "list") == 0);
}

TEST_CASE("paths inside a chroot follow its own symlinks")
{
    TempDir dir("guestuml-chroot-test");
    const fs::path root = dir.path();
    fs::create_directories(root / "usr/lib/modules");
    fs::create_directories(root / "usr/sbin");
    fs::create_symlink("usr/lib", root / "lib");
    fs::create_symlink("/usr/sbin", root / "sbin");   // absolute: re-rooted in the chroot
    CHECK(chroot_path(root, "/lib/modules") == root / "usr/lib/modules");
    CHECK(chroot_path(root, "/sbin/udevadm") == root / "usr/sbin/udevadm");
    CHECK(chroot_path(root, "/etc/mtab") == root / "etc/mtab");
    fs::create_symlink("../../..", root / "usr/lib/up");
    CHECK(chroot_path(root, "/usr/lib/up/etc") == root / "etc");   // never above the root
}
