#include "boot_profile.hpp"

#include "guestuml/uml_instance.hpp"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <mutex>
#include <regex>

namespace guestuml::bench {

namespace {

using Clock = std::chrono::steady_clock;

struct StampedLine {
    double host_ms;
    std::string text;
};

double ms_between(Clock::time_point from, Clock::time_point to)
{
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// "[    1.234567] message" (CONFIG_PRINTK_TIME) -> 1234.567 and "message".
double strip_printk_time(std::string& line)
{
    static const std::regex stamp(R"(^\[\s*([0-9]+\.[0-9]+)\]\s?)");
    std::smatch m;
    if (!std::regex_search(line, m, stamp))
        return -1;
    const double ms = std::stod(m[1].str()) * 1000;
    line = m.suffix().str();
    return ms;
}

BootProfile reduce(const std::vector<StampedLine>& lines, double started_ms, double ready_ms)
{
    static const std::regex init_step(R"(^guestuml-init: (.+): ([0-9.]+) ms \(at ([0-9]+) ms\)$)");
    static const std::regex daemon_start(R"(^guestuml-init: starting guestfsd.* at ([0-9]+) ms$)");
    BootProfile p;
    p.phases.push_back({"UML + storage daemon spawned", started_ms, -1});
    bool first = true;
    for (const auto& stamped : lines) {
        std::string text = stamped.text;
        const double printk_ms = strip_printk_time(text);
        std::smatch m;
        if (first) {
            p.phases.push_back({"kernel: first console line", stamped.host_ms, printk_ms});
            first = false;
        }
        if (text.find("raid6: using algorithm") != std::string::npos ||
            text.find("raid6: skipped pq benchmark") != std::string::npos)
            p.phases.push_back({"kernel: raid6 algorithm chosen", stamped.host_ms, printk_ms});
        else if (text.find("as init process") != std::string::npos)
            p.phases.push_back({"kernel: runs /init", stamped.host_ms, printk_ms});
        else if (std::regex_match(text, m, init_step))
            p.phases.push_back({"init: " + m[1].str() + " done", stamped.host_ms, std::stod(m[3].str())});
        else if (std::regex_match(text, m, daemon_start))
            p.phases.push_back({"init: guestfsd started", stamped.host_ms, std::stod(m[1].str())});
    }
    p.phases.push_back({"guestfsd ready (launch flag)", ready_ms, -1});
    return p;
}

std::string cell(double ms)
{
    return ms < 0 ? std::string("-") : fmt::format("{:.0f}", ms);
}

} // namespace

BootProfile profile_boot(const ApplianceFiles& appliance)
{
    std::mutex mutex;
    std::vector<StampedLine> lines;
    LaunchConfig config;
    config.kernel = appliance.kernel;
    config.root = appliance.root;
    // loglevel=7 after the backend's "quiet": the kernel's info messages
    // (raid6, "Run /init") reach the console.
    config.kernel_args = {"loglevel=7", "guestuml_profile=1"};
    const auto start = Clock::now();
    config.console = [&](std::string_view line) {
        const double now = ms_between(start, Clock::now());
        const std::lock_guard<std::mutex> lock(mutex);
        lines.push_back({now, std::string(line)});
    };
    UmlInstance instance(config);
    const double started = ms_between(start, Clock::now());
    instance.wait_ready(std::chrono::seconds(120));
    const double ready = ms_between(start, Clock::now());
    instance.shutdown();
    const std::lock_guard<std::mutex> lock(mutex);
    return reduce(lines, started, ready);
}

void print_profiles(const std::vector<std::pair<std::string, BootProfile>>& profiles)
{
    // Rows in the order phases first appear; a phase one kernel lacks shows "-".
    std::vector<std::string> rows;
    for (const auto& [kernel, profile] : profiles)
        for (const auto& phase : profile.phases)
            if (std::find(rows.begin(), rows.end(), phase.name) == rows.end())
                rows.push_back(phase.name);
    fmt::print("Boot profile (ms; host: since the launch began, as console lines arrived; "
               "guest: the guest's clock)\n");
    std::string header = fmt::format("| {:34} |", "phase");
    std::string rule = fmt::format("| {:-<34} |", "");
    for (const auto& [kernel, profile] : profiles) {
        header += fmt::format(" {:>7} host | {:>7} guest |", kernel, kernel);
        rule += fmt::format(" {:->12} | {:->13} |", "", "");
    }
    fmt::print("{}\n{}\n", header, rule);
    for (const auto& row : rows) {
        std::string line = fmt::format("| {:34} |", row);
        for (const auto& [kernel, profile] : profiles) {
            const BootPhase* found = nullptr;
            for (const auto& phase : profile.phases)
                if (phase.name == row)
                    found = &phase;
            line += fmt::format(" {:>12} | {:>13} |", found ? cell(found->host_ms) : "-",
                                found ? cell(found->guest_ms) : "-");
        }
        fmt::print("{}\n", line);
    }
}

} // namespace guestuml::bench
