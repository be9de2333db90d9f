// Boot benchmark: start-to-readiness of the guestuml appliance with each UML
// kernel (Debian's linux.uml and guestuml's minimal kernel; median of 5) beside
// libguestfs's own "guestfish -a /dev/null run" on QEMU (direct backend; TCG
// where KVM does not work; median of 3), all measured in the same run, then a
// boot profile per kernel: where the time from start to ready goes.
//
// usage: bench_boot [--runs N] [--kernels debian,minimal] [--no-qemu]
#include "boot_profile.hpp"
#include "qemu_reference.hpp"

#include "guestuml/appliance_cache.hpp"
#include "guestuml/process.hpp"
#include "guestuml/uml_instance.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double seconds_since(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double guestuml_boot(const guestuml::ApplianceFiles& appliance)
{
    guestuml::LaunchConfig config;
    config.kernel = appliance.kernel;
    config.root = appliance.root;
    const auto start = Clock::now();
    guestuml::UmlInstance instance(config);
    instance.wait_ready(std::chrono::seconds(120));
    const double took = seconds_since(start);
    if (!instance.shutdown())
        fmt::print(stderr, "warning: the appliance did not power off by itself\n");
    return took;
}

double guestfish_run()
{
    guestuml::SpawnOptions opts;
    opts.argv = {"guestfish", "-a", "/dev/null", "run"};
    // libguestfs's own appliance on QEMU, whatever the caller's environment says.
    opts.extra_env = guestuml::test::qemu_reference_settings;
    opts.extra_env.push_back("LIBGUESTFS_HV=/usr/bin/qemu-system-x86_64");
    opts.extra_env.push_back("LIBGUESTFS_PATH=/usr/lib/x86_64-linux-gnu/guestfs");
    const auto start = Clock::now();
    guestuml::Process proc(opts);
    const int status = proc.wait();
    const double took = seconds_since(start);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw guestuml::Error("guestfish -a /dev/null run " + guestuml::describe_wait_status(status));
    return took;
}

std::string list(const std::vector<double>& v)
{
    std::string out;
    for (double x : v)
        out += fmt::format("{}{:.2f}", out.empty() ? "" : " ", x);
    return out;
}

struct Options {
    int runs = 5;
    std::vector<std::string> kernels{"debian", "minimal"};
    bool qemu = true;
};

Options parse(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--runs" && i + 1 < argc) {
            o.runs = std::max(1, std::atoi(argv[++i]));
        } else if (a == "--kernels" && i + 1 < argc) {
            o.kernels.clear();
            std::istringstream in(argv[++i]);
            for (std::string k; std::getline(in, k, ',');)
                o.kernels.push_back(k);
        } else if (a == "--no-qemu") {
            o.qemu = false;
        } else {
            throw guestuml::Error(fmt::format("unknown argument {}; usage: bench_boot [--runs N] "
                                              "[--kernels debian,minimal] [--no-qemu]", a));
        }
    }
    return o;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        const Options options = parse(argc, argv);
        std::map<std::string, double> medians;
        std::vector<std::pair<std::string, guestuml::bench::BootProfile>> profiles;
        for (const auto& kernel : options.kernels) {
            // The kernel choice is an input like any other: the environment.
            ::setenv("GUESTUML_APPLIANCE_KERNEL", kernel.c_str(), 1);
            const auto appliance = guestuml::ensure_appliance(guestuml::default_appliance_inputs(),
                [](std::string_view m) { fmt::print(stderr, "{}\n", m); });
            fmt::print("{} kernel appliance: {}\n", kernel, appliance.dir.string());
            std::vector<double> ours;
            for (int i = 0; i < options.runs; ++i)
                ours.push_back(guestuml_boot(appliance));
            medians[kernel] = median(ours);
            fmt::print("guestuml ({:7}) start-to-ready (s): {}  median {:.2f}\n", kernel, list(ours),
                       median(ours));
            std::fflush(stdout);
            profiles.emplace_back(kernel, guestuml::bench::profile_boot(appliance));
        }

        if (options.qemu) {
            fmt::print("libguestfs warm-up run (builds its appliance cache, not counted)...\n");
            std::fflush(stdout);
            guestfish_run();
            std::vector<double> theirs;
            for (int i = 0; i < 3; ++i)
                theirs.push_back(guestfish_run());
            const double q = median(theirs);
            fmt::print("guestfish -a /dev/null run, QEMU (s):  {}  median {:.2f}\n", list(theirs), q);
            for (const auto& [kernel, m] : medians)
                fmt::print("ratio libguestfs/QEMU : guestuml ({}) = {:.1f}x\n", kernel, q / m);
        }
        if (medians.count("debian") && medians.count("minimal"))
            fmt::print("ratio guestuml debian : minimal kernel = {:.2f}x\n",
                       medians["debian"] / medians["minimal"]);

        fmt::print("\n");
        guestuml::bench::print_profiles(profiles);
    } catch (const std::exception& e) {
        fmt::print(stderr, "bench: {}\n", e.what());
        return 1;
    }
    return 0;
}
