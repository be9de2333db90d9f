// Unit tests for the minimal kernel's cache and the kernel choice: a stand-in
// build-kernel.sh (the real one takes a quarter of an hour) shows that the
// kernel is built once per key, that the key follows the configuration, the
// patches and the source, and that failures say so.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "guestuml/appliance_cache.hpp"
#include "guestuml/error.hpp"
#include "guestuml/temp_dir.hpp"
#include "scoped_env.hpp"

#include <boost/filesystem/operations.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
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

std::string read(const fs::path& file)
{
    std::ifstream in(file.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A kernel directory whose build script records each run in runs.log and makes
// what the real one makes: linux and modules/RELEASE/modules.dep.
struct FakeKernelDir {
    TempDir dir{"guestuml-kernel-test"};
    fs::path kernel_dir = dir.path() / "kernel";
    fs::path cache = dir.path() / "cache";
    fs::path runs = dir.path() / "runs.log";
    MinimalKernelSpec spec{dir.path() / "linux-source-6.12.tar.xz", kernel_dir};

    explicit FakeKernelDir(const std::string& exit_status = "0")
    {
        write(spec.source_tarball, "source");
        write(kernel_dir / "guestuml.config", "CONFIG_MODULES=n\n");
        write(kernel_dir / "6.1/0001-fix.patch", "patch v1\n");
        write(kernel_dir / "build-kernel.sh",
              "#!/bin/sh\n"
              "echo \"$1\" >> '" + runs.string() + "'\n"
              "[ " + exit_status + " = 0 ] || exit " + exit_status + "\n"
              "mkdir -p \"$2/modules/6.1.99\" && : > \"$2/modules/6.1.99/modules.dep\"\n"
              "echo kernel > \"$2/linux\"\n");
        fs::permissions(kernel_dir / "build-kernel.sh", fs::perms(0755));
    }

    int run_count() const
    {
        int n = 0;
        std::istringstream in(read(runs));
        for (std::string line; std::getline(in, line);)
            ++n;
        return n;
    }
};

} // namespace

TEST_CASE("the minimal kernel is built once and reused")
{
    FakeKernelDir fake;
    const ScopedEnv cache("GUESTUML_CACHE", fake.cache.c_str());
    const BuiltKernel first = ensure_minimal_kernel(fake.spec);
    CHECK(first.version == "6.1.99");
    CHECK(read(first.kernel) == "kernel\n");
    CHECK(fs::is_regular_file(first.modules / "modules.dep"));
    CHECK(first.kernel.parent_path().parent_path() == fake.cache);
    CHECK(first.kernel.parent_path().filename().string().rfind("kernel-", 0) == 0);
    const BuiltKernel again = ensure_minimal_kernel(fake.spec);
    CHECK(again.kernel == first.kernel);
    CHECK(fake.run_count() == 1);
}

TEST_CASE("the kernel key follows the configuration, the patches and the source")
{
    FakeKernelDir fake;
    const ScopedEnv cache("GUESTUML_CACHE", fake.cache.c_str());
    const fs::path first = ensure_minimal_kernel(fake.spec).kernel;
    SECTION("configuration") { write(fake.kernel_dir / "guestuml.config", "CONFIG_MODULES=y\n"); }
    SECTION("a patch changed") { write(fake.kernel_dir / "6.1/0001-fix.patch", "patch v2\n"); }
    SECTION("a patch added") { write(fake.kernel_dir / "6.1/0002-more.patch", "more\n"); }
    SECTION("the source") { write(fake.spec.source_tarball, "another source"); }
    const fs::path second = ensure_minimal_kernel(fake.spec).kernel;
    CHECK(second != first);
    CHECK(fake.run_count() == 2);
    // Documentation does not change the kernel.
    write(fake.kernel_dir / "README.md", "notes");
    CHECK(ensure_minimal_kernel(fake.spec).kernel == second);
    CHECK(fake.run_count() == 2);
}

TEST_CASE("a failed kernel build is an error and leaves nothing behind")
{
    FakeKernelDir fake("3");
    const ScopedEnv cache("GUESTUML_CACHE", fake.cache.c_str());
    try {
        ensure_minimal_kernel(fake.spec);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("build-kernel.sh") != std::string::npos);
        CHECK(std::string(e.what()).find("linux-source-6.12.tar.xz") != std::string::npos);
    }
    for (fs::directory_iterator it(fake.cache), end; it != end; ++it)
        CHECK(it->path().filename().string().rfind("kernel-", 0) != 0);
}

TEST_CASE("a missing kernel source says which package to install")
{
    FakeKernelDir fake;
    const ScopedEnv cache("GUESTUML_CACHE", fake.cache.c_str());
    fs::remove(fake.spec.source_tarball);
    try {
        ensure_minimal_kernel(fake.spec);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("apt-get install linux-source-6.12") != std::string::npos);
    }
    CHECK(fake.run_count() == 0);
}

TEST_CASE("the kernel choice comes from GUESTUML_APPLIANCE_KERNEL")
{
    {
        const ScopedEnv choice("GUESTUML_APPLIANCE_KERNEL", nullptr);
        CHECK(kernel_choice() == default_kernel_choice);
    }
    {
        const ScopedEnv choice("GUESTUML_APPLIANCE_KERNEL", "debian");
        CHECK(kernel_choice() == KernelChoice::debian);
    }
    {
        const ScopedEnv choice("GUESTUML_APPLIANCE_KERNEL", "minimal");
        CHECK(kernel_choice() == KernelChoice::minimal);
        const ScopedEnv kernel("GUESTUML_KERNEL", nullptr);
        const ScopedEnv modules("GUESTUML_MODULES", nullptr);
        const ApplianceInputs inputs = default_appliance_inputs();
        REQUIRE(inputs.minimal_kernel);
        CHECK(inputs.minimal_kernel->source_tarball == "/usr/src/linux-source-6.12.tar.xz");
        CHECK(fs::is_regular_file(inputs.minimal_kernel->kernel_dir / "guestuml.config"));
        CHECK(inputs.kernel.empty());
    }
    {
        // An explicit kernel wins over the choice.
        const ScopedEnv choice("GUESTUML_APPLIANCE_KERNEL", "minimal");
        const ScopedEnv kernel("GUESTUML_KERNEL", "/usr/bin/linux.uml");
        const ApplianceInputs inputs = default_appliance_inputs();
        CHECK_FALSE(inputs.minimal_kernel);
        CHECK(inputs.kernel == "/usr/bin/linux.uml");
    }
    {
        const ScopedEnv choice("GUESTUML_APPLIANCE_KERNEL", "custom");
        CHECK_THROWS_AS(kernel_choice(), Error);
    }
}
