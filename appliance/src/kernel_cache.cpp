// ensure_minimal_kernel(): guestuml's minimal UML kernel, built once by
// appliance/kernel/build-kernel.sh and kept in the cache next to the
// appliances, one directory per input key (kernel-KEY/).
#include "guestuml/appliance_cache.hpp"

#include "cache_key.hpp"
#include "file_lock.hpp"

#include "guestuml/error.hpp"
#include "guestuml/process.hpp"
#include "guestuml/temp_dir.hpp"

#include <algorithm>
#include <boost/filesystem/operations.hpp>
#include <chrono>
#include <ctime>
#include <fmt/format.h>
#include <fstream>
#include <sys/wait.h>
#include <vector>

namespace fs = boost::filesystem;

namespace guestuml {

namespace {

constexpr std::string_view kernel_prefix = "kernel-";
constexpr std::string_view kernel_temp_prefix = "kernel-tmp";
// Bump when build-kernel.sh's output layout changes in a way its content does not show.
constexpr int kernel_format_version = 1;
// A kernel takes a quarter of an hour to build: keep other keys' kernels for a
// month (switching between branches or source versions should not rebuild).
constexpr std::time_t stale_after_seconds = 30 * 24 * 3600;

bool starts_with(const std::string& s, std::string_view prefix)
{
    return s.compare(0, prefix.size(), prefix) == 0;
}

// The key covers what decides the binary: the source tarball, the build
// script, the configuration fragment and every patch (by content).
std::string describe_kernel_inputs(const MinimalKernelSpec& spec)
{
    std::string d = fmt::format("kernel-format {}\n", kernel_format_version);
    d += fmt::format("source {} {}\n", spec.source_tarball.string(), stat_line(spec.source_tarball));
    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator it(spec.kernel_dir), end; it != end; ++it)
        if (fs::is_regular_file(it->status()) && it->path().extension() != ".md")
            files.push_back(it->path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files)
        d += fmt::format("{} {}\n", file.lexically_relative(spec.kernel_dir).string(), content_hash(file));
    return d;
}

// The single version directory build-kernel.sh made under dir/modules.
BuiltKernel files_in(const fs::path& dir)
{
    BuiltKernel built;
    built.kernel = dir / "linux";
    boost::system::error_code ec;
    if (!fs::is_regular_file(built.kernel, ec))
        return {};
    for (fs::directory_iterator it(dir / "modules", ec), end; !ec && it != end; ++it)
        if (fs::is_regular_file(it->path() / "modules.dep")) {
            built.modules = it->path();
            built.version = it->path().filename().string();
        }
    return built.modules.empty() ? BuiltKernel{} : built;
}

void remove_stale(const fs::path& cache, const std::string& keep)
{
    const std::time_t now = std::time(nullptr);
    for (fs::directory_iterator it(cache), end; it != end; ++it) {
        const std::string name = it->path().filename().string();
        if (name == keep || !starts_with(name, kernel_prefix))
            continue;
        if (starts_with(name, kernel_temp_prefix) || now - fs::last_write_time(it->path()) >= stale_after_seconds)
            fs::remove_all(it->path());
    }
}

BuiltKernel use(const fs::path& dir)
{
    boost::system::error_code ignored;   // a read-only cache still works, it just ages
    fs::last_write_time(dir, std::time(nullptr), ignored);
    return files_in(dir);
}

// Runs build-kernel.sh: its progress lines go to our stderr, its full output to
// out/build.log (which its own error message quotes).
void run_build_script(const MinimalKernelSpec& spec, const fs::path& out)
{
    SpawnOptions options;
    options.argv = {(spec.kernel_dir / "build-kernel.sh").string(), spec.source_tarball.string(), out.string()};
    options.fds = {{2, 1}, {2, 2}};
    Process process(options);
    const int status = process.wait();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(fmt::format("building the minimal UML kernel from {}: build-kernel.sh {} (log: {})",
                                spec.source_tarball.string(), describe_wait_status(status),
                                (out / "build.log").string()));
}

} // namespace

BuiltKernel ensure_minimal_kernel(const MinimalKernelSpec& spec, const ProgressFn& progress)
{
    const auto say = [&](std::string_view message) {
        if (progress)
            progress(message);
    };
    if (!fs::is_regular_file(spec.source_tarball))
        throw Error(fmt::format("the minimal UML kernel needs its source {} (apt-get install {}), "
                                "or set GUESTUML_APPLIANCE_KERNEL=debian",
                                spec.source_tarball.string(),
                                spec.source_tarball.stem().stem().string()));
    const fs::path cache = appliance_cache_dir();
    boost::system::error_code ec;
    fs::create_directories(cache, ec);
    if (ec)
        throw Error(fmt::format("cannot create the cache {}: {}", cache.string(), ec.message()));

    const std::string key = fmt::format("{:016x}", stable_hash(describe_kernel_inputs(spec)));
    const std::string name = fmt::format("{}{}", kernel_prefix, key);
    const fs::path final_dir = cache / name;
    if (!files_in(final_dir).kernel.empty())
        return use(final_dir);

    // Its own lock: appliance builds (a minute) need not wait for a kernel build.
    const FileLock lock(cache / "kernel.lock",
                        [&] { say("waiting for another guestuml process building the kernel"); });
    if (!files_in(final_dir).kernel.empty())
        return use(final_dir);

    const auto start = std::chrono::steady_clock::now();
    try {
        remove_stale(cache, name);
        say(fmt::format("building the minimal UML kernel from {} (once; 10-30 min)", spec.source_tarball.string()));
        TempDir build(std::string(kernel_temp_prefix), cache);
        std::ofstream(fs::path(build.path() / "inputs.txt").string()) << describe_kernel_inputs(spec);
        run_build_script(spec, build.path());
        if (files_in(build.path()).kernel.empty())
            throw Error(fmt::format("build-kernel.sh left no kernel and modules directory in {}",
                                    build.path().string()));
        fs::permissions(build.path(), fs::perms(0755));
        fs::rename(build.path(), final_dir);
    } catch (const fs::filesystem_error& e) {
        throw Error(fmt::format("building the minimal UML kernel in {}: {}", cache.string(), e.what()));
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    say(fmt::format("kernel ready in {:.0f} s: {}", took.count(), final_dir.string()));
    return use(final_dir);
}

} // namespace guestuml
