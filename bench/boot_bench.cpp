// Boot benchmark: start-to-readiness of the guestuml appliance (median of 5)
// beside libguestfs's own "guestfish -a /dev/null run" on QEMU (direct backend;
// TCG where KVM does not work; median of 3), measured in the same run.
#include "guestuml/appliance_cache.hpp"
#include "guestuml/process.hpp"
#include "guestuml/uml_instance.hpp"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
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
    opts.extra_env = {"LIBGUESTFS_BACKEND=direct", "LIBGUESTFS_HV=/usr/bin/qemu-system-x86_64",
                      "LIBGUESTFS_PATH=/usr/lib/x86_64-linux-gnu/guestfs"};
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

} // namespace

int main()
{
    try {
        const auto appliance = guestuml::ensure_appliance(guestuml::default_appliance_inputs(),
            [](std::string_view m) { fmt::print(stderr, "{}\n", m); });
        fmt::print("guestuml appliance: {}\n", appliance.dir.string());

        std::vector<double> ours;
        for (int i = 0; i < 5; ++i)
            ours.push_back(guestuml_boot(appliance));
        fmt::print("guestuml start-to-ready (s):          {}  median {:.2f}\n", list(ours), median(ours));

        fmt::print("libguestfs warm-up run (builds its appliance cache, not counted)...\n");
        std::fflush(stdout);
        guestfish_run();
        std::vector<double> theirs;
        for (int i = 0; i < 3; ++i)
            theirs.push_back(guestfish_run());
        fmt::print("guestfish -a /dev/null run, QEMU (s): {}  median {:.2f}\n", list(theirs), median(theirs));
        fmt::print("ratio libguestfs/QEMU : guestuml = {:.1f}x\n", median(theirs) / median(ours));
    } catch (const std::exception& e) {
        fmt::print(stderr, "bench: {}\n", e.what());
        return 1;
    }
    return 0;
}
