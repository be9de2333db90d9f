// guestuml inspect: what operating system is on these disks, as JSON (or
// virt-inspector's XML), optionally gated by --expect for CI.
#include "arg_cursor.hpp"
#include "commands.hpp"
#include "inspect_json.hpp"
#include "inspect_vm.hpp"
#include "inspect_xml.hpp"
#include "ordered_batch.hpp"
#include "progress.hpp"

#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace guestuml::cli {

namespace {

constexpr const char* usage = R"(usage: guestuml inspect [OPTIONS] [-a DISK]... IMAGE...

Inspects the disks of a VM and prints what operating system they hold: the
same facts as virt-inspector, as JSON (default) or virt-inspector's XML.
All disks form one VM, unless --each is given.

options:
  -a, --add DISK         one more disk of the VM (like virt-inspector -a)
      --xml              print virt-inspector's XML instead of JSON
      --no-applications  leave out the list of installed packages (faster)
      --each             every IMAGE is a VM of its own; one JSON line each,
                         in input order; a bad image does not stop the others
  -j, --jobs N           with --each: run N appliances at once (default 1)
      --expect KEY=VALUE fail (exit 4) unless the OS has it; repeatable. KEY is
                         package (installed package name), file (an absolute
                         path that must exist) or an OS field: distro,
                         major_version, minor_version, hostname, name, arch,
                         product_name, package_format, osinfo...
  -q, --quiet            no progress or notes on stderr
  -v, --verbose          libguestfs debug and the appliance console on stderr
  -h, --help             this text

exit codes: 0 an OS was found (and every expectation met), 1 no OS found,
2 bad arguments or input, 3 internal failure, 4 an expectation failed.
With --each the exit code is the highest of the images' codes.
)";

struct InspectOptions {
    std::vector<std::string> added;    // -a disks
    std::vector<std::string> images;   // positional
    bool xml = false;
    bool each = false;
    unsigned jobs = 1;
    bool quiet = false;
    InspectRequest request;
};

InspectOptions parse(const Args& args)
{
    InspectOptions o;
    ArgCursor cursor(args);
    bool jobs_given = false;
    while (!cursor.done()) {
        if (auto disk = cursor.take_value({"-a", "--add"}))
            o.added.push_back(*disk);
        else if (auto jobs = cursor.take_value({"-j", "--jobs"})) {
            o.jobs = parse_count("--jobs", *jobs);
            jobs_given = true;
        } else if (auto expect = cursor.take_value({"--expect"}))
            o.request.expectations.push_back(parse_expectation(*expect));
        else if (cursor.take_flag({"--xml"}))
            o.xml = true;
        else if (cursor.take_flag({"--json"}))
            o.xml = false;
        else if (cursor.take_flag({"--no-applications"}))
            o.request.applications = false;
        else if (cursor.take_flag({"--each"}))
            o.each = true;
        else if (cursor.take_flag({"-q", "--quiet"}))
            o.quiet = true;
        else if (cursor.take_flag({"-v", "--verbose"}))
            o.request.session.verbose = true;
        else if (auto image = cursor.take_positional())
            o.images.push_back(*image);
    }
    if (o.images.empty() && o.added.empty())
        throw UsageError("no disk image given (see --help)");
    if (o.each && !o.added.empty())
        throw UsageError("--each treats every IMAGE as a VM of its own; -a cannot be combined with it");
    if (o.each && o.xml)
        throw UsageError("--xml prints one document for one VM; it cannot be combined with --each");
    if (jobs_given && !o.each)
        throw UsageError("--jobs needs --each (one VM runs in one appliance)");
    return o;
}

void report_unmet(const std::string& subject, const VmReport& report)
{
    for (const auto& line : report.unmet)
        fmt::print(stderr, "guestuml inspect: {}: {}\n", subject, line);
}

int inspect_one(const InspectOptions& o, const BackendConfig& config)
{
    std::vector<std::string> disks = o.added;
    disks.insert(disks.end(), o.images.begin(), o.images.end());
    const auto report = inspect_vm(disks, o.request, config);
    if (report.exit_code == exit_usage)
        throw UsageError(report.error);
    if (report.exit_code == exit_internal)
        throw std::runtime_error(report.error);
    if (o.xml) {
        fmt::print("{}", operating_systems_xml(report.systems));
    } else {
        JsonWriter json(true);
        json.begin_object();
        write_operating_systems(json, report.systems);
        json.end_object();
        fmt::print("{}\n", json.str());
    }
    std::fflush(stdout);
    const auto subject = fmt::format("{}", fmt::join(disks, " "));
    if (report.exit_code == exit_no_os && !o.quiet)
        fmt::print(stderr, "guestuml inspect: {}: no operating system found\n", subject);
    report_unmet(subject, report);
    return report.exit_code;
}

std::string report_line(const std::string& image, const VmReport& report)
{
    JsonWriter json(false);
    json.begin_object();
    json.key("image");
    json.value(image);
    json.key("exit_code");
    json.value(report.exit_code);
    if (report.exit_code == exit_usage || report.exit_code == exit_internal) {
        json.key("error");
        json.value(report.error);
    } else {
        write_operating_systems(json, report.systems);
    }
    if (!report.unmet.empty()) {
        json.key("unmet_expectations");
        json.begin_array();
        for (const auto& line : report.unmet)
            json.value(line);
        json.end_array();
    }
    json.end_object();
    return json.str();
}

int inspect_each(const InspectOptions& o, const BackendConfig& config, const Progress& progress)
{
    std::vector<VmReport> reports(o.images.size());
    run_ordered_batch(
        o.images.size(), o.jobs,
        [&](std::size_t i) {
            reports[i] = inspect_vm({o.images[i]}, o.request, config);
            return report_line(o.images[i], reports[i]);
        },
        [&](std::size_t i, const std::string& line) {
            fmt::print("{}\n", line);
            std::fflush(stdout);
            const auto& report = reports[i];
            if (report.exit_code == exit_usage || report.exit_code == exit_internal)
                fmt::print(stderr, "guestuml inspect: {}\n", report.error);
            report_unmet(o.images[i], report);
            progress(fmt::format("[{}/{}] {}: exit code {}", i + 1, o.images.size(), o.images[i], report.exit_code));
        });
    int worst = exit_ok;
    for (const auto& report : reports)
        worst = std::max(worst, report.exit_code);
    return worst;
}

} // namespace

int cmd_inspect(const Args& args)
{
    if (std::find_if(args.begin(), args.end(), [](const auto& a) { return a == "-h" || a == "--help"; }) !=
        args.end()) {
        fmt::print("{}", usage);
        return exit_ok;
    }
    const auto options = parse(args);
    // Bad input must fail fast with exit code 2, before any appliance is built or booted.
    if (!options.each) {
        for (const auto& path : options.added)
            probe_disk_image(path);
        for (const auto& path : options.images)
            probe_disk_image(path);
    }
    const Progress progress(options.quiet);
    const auto config = resolve_backend_config(progress.as_function());
    return options.each ? inspect_each(options, config, progress) : inspect_one(options, config);
}

} // namespace guestuml::cli
