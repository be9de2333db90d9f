// guestuml boot-test [IMAGE...]: boots the appliance over the images (a scratch
// image made on the spot if none), waits for guestfsd and reports how long that
// took and which disks the guest kernel found.
#include "commands.hpp"

#include "guestuml/appliance_cache.hpp"
#include "guestuml/error.hpp"
#include "guestuml/run_command.hpp"
#include "guestuml/temp_dir.hpp"
#include "guestuml/uml_instance.hpp"

#include <boost/filesystem/operations.hpp>
#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>

namespace fs = boost::filesystem;

namespace guestuml::cli {
namespace {

constexpr const char* usage = R"(usage: guestuml boot-test [--verbose] [IMAGE...]

Boots the guestuml appliance with the images as its disks (read-only: they are
never changed), waits until guestfsd inside is ready, prints the time that took
and the disks the guest kernel found, then shuts the appliance down.
Without IMAGE a small scratch ext4 image is made and used.

  --verbose   print the appliance's console on stderr
)";

// The guest kernel reports each disk as "virtio_blk virtioN: [vdX] SIZE...".
struct DiskReport {
    std::string device;
    std::string detail;
};

fs::path make_scratch_image(const fs::path& dir)
{
    const fs::path content = dir / "content";
    fs::create_directory(content);
    std::ofstream(content / "hello.txt") << "hello from guestuml boot-test\n";
    const fs::path image = dir / "scratch.img";
    run_command_checked({"mke2fs", "-q", "-F", "-t", "ext4", "-L", "scratch", "-d", content.string(),
                         image.string(), "32M"});
    return image;
}

} // namespace

int cmd_boot_test(const Args& args)
{
    bool verbose = false;
    std::vector<fs::path> images;
    for (const auto& arg : args) {
        if (arg == "--help" || arg == "-h") {
            fmt::print("{}", usage);
            return exit_ok;
        }
        if (arg == "--verbose" || arg == "-v")
            verbose = true;
        else if (!arg.empty() && arg[0] == '-')
            throw UsageError(fmt::format("unknown option {}\n{}", arg, usage));
        else
            images.emplace_back(arg);
    }

    LaunchConfig config;
    for (const auto& image : images) {
        DiskSpec disk{image, "", true};
        try {
            validate_disk(disk);
        } catch (const Error& e) {
            throw UsageError(e.what());
        }
        config.disks.push_back(disk);
    }
    std::optional<TempDir> scratch;
    if (images.empty()) {
        scratch.emplace("guestuml-boot-test");
        config.disks.push_back({make_scratch_image(scratch->path()), "raw", true});
    }

    const ApplianceFiles appliance = ensure_appliance(default_appliance_inputs(), [](std::string_view message) {
        fmt::print(stderr, "{}\n", message);
    });
    config.kernel = appliance.kernel;
    config.root = appliance.root;

    std::mutex mutex;
    std::vector<DiskReport> found;
    config.console = [&](std::string_view line) {
        if (verbose)
            fmt::print(stderr, "{}\n", line);
        static const std::regex disk_line(R"(\[(vd[a-z]+)\] (.*))");
        std::match_results<std::string_view::const_iterator> m;
        if (std::regex_search(line.begin(), line.end(), m, disk_line)) {
            std::lock_guard lock(mutex);
            found.push_back({m[1].str(), m[2].str()});
        }
    };

    const auto start = std::chrono::steady_clock::now();
    UmlInstance instance(config);
    instance.wait_ready(std::chrono::seconds(60));
    const std::chrono::duration<double> ready_after = std::chrono::steady_clock::now() - start;
    const bool clean = instance.shutdown();

    fmt::print("guestfsd ready after {:.2f} s\n", ready_after.count());
    std::lock_guard lock(mutex);
    fmt::print("disks found by the guest kernel: {}\n", found.size());
    for (size_t i = 0; i < found.size(); ++i)
        fmt::print("  /dev/{} ({}): {}\n", found[i].device,
                   i < config.disks.size() ? config.disks[i].path.string() : std::string("?"), found[i].detail);
    if (found.size() != config.disks.size()) {
        fmt::print(stderr, "guestuml boot-test: {} disks given but the guest kernel found {}\n",
                   config.disks.size(), found.size());
        return exit_internal;
    }
    if (!clean) {
        fmt::print(stderr, "guestuml boot-test: the appliance did not power off by itself and was killed\n");
        return exit_internal;
    }
    return exit_ok;
}

} // namespace guestuml::cli
