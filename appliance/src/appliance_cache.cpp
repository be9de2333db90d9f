// ensure_appliance() and clean_appliance_cache(): the cache of built appliances,
// one directory per input key, built under a lock and renamed into place.
#include "guestuml/appliance_cache.hpp"

#include "appliance_builder.hpp"
#include "cache_key.hpp"
#include "file_lock.hpp"

#include "guestuml/error.hpp"
#include "guestuml/temp_dir.hpp"

#include <boost/filesystem/operations.hpp>
#include <chrono>
#include <ctime>
#include <fmt/format.h>
#include <fstream>

namespace fs = boost::filesystem;

namespace guestuml {

namespace {

constexpr std::string_view appliance_prefix = "appliance-";
constexpr std::string_view temp_prefix = "tmp-";
// An appliance of other inputs is removed only when nobody has asked for it this
// long: several build trees (or installed and development copies) share one cache,
// and an appliance may be in use long after ensure_appliance() returned it.
constexpr std::time_t stale_after_seconds = 7 * 24 * 3600;

ApplianceFiles files_in(const fs::path& dir)
{
    return {dir, dir / "kernel", dir / "initrd", dir / "root"};
}

// Directories appear only by rename() after a complete build, so this is a
// sanity check against hand-made damage rather than a race guard.
bool is_complete(const fs::path& dir)
{
    boost::system::error_code ec;
    for (const char* name : {"kernel", "initrd", "root", "README.fixed"})
        if (!fs::is_regular_file(dir / name, ec))
            return false;
    return true;
}

bool starts_with(const std::string& s, std::string_view prefix)
{
    return s.compare(0, prefix.size(), prefix) == 0;
}

// Removes leftover build directories and appliances other than keep that have
// not been used for stale_after_seconds (all of them when max_age is 0). Call
// with the lock held: only the lock holder builds.
void remove_cached(const fs::path& cache, const std::string& keep, std::time_t max_age)
{
    const std::time_t now = std::time(nullptr);
    for (fs::directory_iterator it(cache), end; it != end; ++it) {
        const std::string name = it->path().filename().string();
        if (name == keep)
            continue;
        const bool stale_appliance = starts_with(name, appliance_prefix) &&
                                     now - fs::last_write_time(it->path()) >= max_age;
        if (stale_appliance || starts_with(name, temp_prefix))
            fs::remove_all(it->path());
    }
}

// Records a use: the directory's mtime is its last-used time.
ApplianceFiles use(const fs::path& dir)
{
    boost::system::error_code ignored;   // a read-only cache still works, it just ages
    fs::last_write_time(dir, std::time(nullptr), ignored);
    return files_in(dir);
}

fs::path prepare_cache_dir()
{
    const fs::path cache = appliance_cache_dir();
    boost::system::error_code ec;
    fs::create_directories(cache, ec);
    if (ec)
        throw Error(fmt::format("cannot create the appliance cache {}: {}", cache.string(), ec.message()));
    return cache;
}

} // namespace

ApplianceFiles ensure_appliance(const ApplianceInputs& given, const ProgressFn& progress)
{
    const auto say = [&](std::string_view message) {
        if (progress)
            progress(message);
    };
    ApplianceInputs inputs = given;
    if (inputs.minimal_kernel) {
        const BuiltKernel kernel = ensure_minimal_kernel(*inputs.minimal_kernel, progress);
        inputs.kernel = kernel.kernel;
        inputs.modules = kernel.modules;
        inputs.kernel_version = kernel.version;
    }
    const fs::path cache = prepare_cache_dir();
    const std::string name = fmt::format("{}{}", appliance_prefix, appliance_cache_key(inputs));
    const fs::path final_dir = cache / name;
    if (is_complete(final_dir))
        return use(final_dir);

    const FileLock lock(cache / "lock",
                        [&] { say("waiting for another guestuml process building the appliance"); });
    if (is_complete(final_dir))
        return use(final_dir);

    const auto start = std::chrono::steady_clock::now();
    try {
        remove_cached(cache, name, stale_after_seconds);
        say(fmt::format("building the appliance in {}", final_dir.string()));
        TempDir build("tmp", cache);   // named tmp-XXXXXX: see temp_prefix
        std::ofstream(fs::path(build.path() / "inputs.txt").string()) << describe_appliance_inputs(inputs);
        build_appliance(build.path(), inputs, progress);
        fs::permissions(build.path(), fs::perms(0755));
        fs::rename(build.path(), final_dir);
    } catch (const fs::filesystem_error& e) {
        throw Error(fmt::format("building the appliance in {}: {}", cache.string(), e.what()));
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    say(fmt::format("appliance ready in {:.1f} s: {}", took.count(), final_dir.string()));
    return use(final_dir);
}

void clean_appliance_cache()
{
    const fs::path cache = appliance_cache_dir();
    if (!fs::is_directory(cache))
        return;
    const FileLock lock(cache / "lock");
    try {
        remove_cached(cache, {}, 0);
    } catch (const fs::filesystem_error& e) {
        throw Error(fmt::format("cleaning the appliance cache {}: {}", cache.string(), e.what()));
    }
}

} // namespace guestuml
