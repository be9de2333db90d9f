// Stock libguestfs tools on guestuml (eval "$(guestuml env)") against the same
// tools on libguestfs's QEMU path, same image, same run; prints medians and ratios.
//
// Then, for virt-inspector: the peak memory of the whole process tree (tool,
// plugin, UML, storage daemon; or tool and QEMU), and two inspections at once
// against one alone on the same machine, beside the host's own fork() doing the
// same: the floor under UML's figure.
//
// Where the soft limit on open files is above Debian's default of 1024 (20,000
// on our CI machines), both commands run once more under 1024: every child
// libguestfs forks (qemu-img, the hypervisor, rm) closes each descriptor up to
// that limit before its exec, about 20 ms per child at 20,000 here.
//
// usage: bench_plugin [--runs N] [IMAGE]
// Without IMAGE it makes a small Debian-like ext4 image (os-release, fstab,
// hostname, dpkg status) so that virt-inspector has an OS to find.
#include "fork_scaling.hpp"
#include "tree_memory.hpp"

#include "qemu_reference.hpp"

#include "guestuml/error.hpp"
#include "guestuml/temp_dir.hpp"

#include <algorithm>
#include <boost/filesystem/operations.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <utility>
#include <vector>

namespace fs = boost::filesystem;

namespace {

std::string quote(const std::string& s)
{
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Runs a shell script, output discarded; returns seconds. Throws on failure.
double timed(const std::string& script)
{
    const auto start = std::chrono::steady_clock::now();
    const int status = std::system(fmt::format("( {} ) >/dev/null 2>&1", script).c_str());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw guestuml::Error(fmt::format("benchmark command failed: {}", script));
    return s;
}

std::string capture(const std::string& command)
{
    std::string out;
    std::FILE* f = ::popen(command.c_str(), "r");
    if (!f)
        guestuml::throw_errno("popen " + command);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        out.append(buf, n);
    if (::pclose(f) != 0)
        throw guestuml::Error(fmt::format("{} failed", command));
    return out;
}

void write(const fs::path& file, const std::string& text)
{
    fs::create_directories(file.parent_path());
    std::ofstream(file.string()) << text;
}

fs::path make_debian_image(const fs::path& dir)
{
    const fs::path root = dir / "root";
    write(root / "etc/os-release", "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n"
                                   "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
    write(root / "etc/debian_version", "12.5\n");
    write(root / "etc/hostname", "bench\n");
    write(root / "etc/fstab", "/dev/sda / ext4 defaults 0 1\n");
    std::string status;
    for (int i = 0; i < 100; ++i)
        status += fmt::format("Package: pkg{0}\nStatus: install ok installed\nArchitecture: amd64\n"
                              "Version: 1.{0}-1\nDescription: package {0}\n\n", i);
    write(root / "var/lib/dpkg/status", status);
    fs::create_directories(root / "usr/bin");
    fs::copy_file("/usr/bin/ls", root / "usr/bin/ls");
    fs::create_symlink("usr/bin", root / "bin");
    const fs::path image = dir / "debian.img";
    timed(fmt::format("mke2fs -q -F -t ext4 -d {} {} 200M", quote(root.string()), quote(image.string())));
    return image;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Medians of `runs` timings of two scripts, run in turn so both see the same noise.
std::pair<double, double> interleaved_medians(const std::string& a, const std::string& b, int runs)
{
    std::vector<double> as, bs;
    for (int r = 0; r < runs; ++r) {
        as.push_back(timed(a));
        bs.push_back(timed(b));
    }
    return {median(as), median(bs)};
}

} // namespace

int main(int argc, char* argv[])
{
    try {
        int runs = 3;
        fs::path image;
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            if (a == "--runs" && i + 1 < argc)
                runs = std::max(1, std::atoi(argv[++i]));
            else if (a.empty() || a[0] == '-' || !image.empty())
                throw std::runtime_error("usage: bench_plugin [--runs N] [IMAGE]");
            else
                image = a;
        }
        guestuml::TempDir dir("bench-plugin");
        if (image.empty())
            image = make_debian_image(dir.path());

        const std::string guestuml_env = capture(quote(GUESTUML_PROGRAM) + " env 2>/dev/null");
        const std::string qemu_env = guestuml::test::qemu_reference_shell_prefix();
        const std::string img = quote(image.string());
        std::vector<std::pair<std::string, std::string>> commands{
            {"guestfish --ro -a IMG run", fmt::format("guestfish --ro -a {} run", img)},
            {"virt-inspector -a IMG", fmt::format("virt-inspector -a {}", img)},
        };
        constexpr rlim_t debian_default_files = 1024;
        rlimit files{};
        ::getrlimit(RLIMIT_NOFILE, &files);
        if (files.rlim_cur > debian_default_files)
            for (size_t i = 0, n = commands.size(); i < n; ++i)
                commands.emplace_back(fmt::format("{}, ulimit -Sn {}", commands[i].first, debian_default_files),
                                      fmt::format("ulimit -Sn {}; {}", debian_default_files, commands[i].second));
        // One untimed run each warms the page cache and libguestfs's qemu probe cache.
        timed(guestuml_env + commands[0].second);
        timed(qemu_env + commands[0].second);

        fmt::print("image: {}\nruns: {} (median)\nopen-file limit (soft): {}\n\n{:<44} {:>10} {:>10} {:>8}\n",
                   image.string(), runs, files.rlim_cur, "command", "guestuml", "qemu", "ratio");
        for (const auto& [name, command] : commands) {
            const auto [u, q] = interleaved_medians(guestuml_env + command, qemu_env + command, runs);
            fmt::print("{:<44} {:>9.2f}s {:>9.2f}s {:>7.1f}x\n", name, u, q, q / u);
        }

        const std::string& inspect = commands[1].second;
        fmt::print("\nvirt-inspector, peak memory of the process tree (PSS, MiB)\n{:<10} {:>10}\n", "guestuml",
                   "qemu");
        const auto mib = [](unsigned long long bytes) { return static_cast<double>(bytes) / (1 << 20); };
        const double uml_mib = mib(guestuml::bench::peak_tree_pss((guestuml_env + inspect).c_str()));
        const double qemu_mib = mib(guestuml::bench::peak_tree_pss((qemu_env + inspect).c_str()));
        fmt::print("{:>10.0f} {:>10.0f}\n", uml_mib, qemu_mib);

        // Two at once on a 2-core machine: how much each waits for the other.
        fmt::print("\nvirt-inspector, two at once against one (median of {})\n{:<10} {:>8} {:>8} {:>8}\n", runs,
                   "backend", "one", "two", "ratio");
        const std::string two = fmt::format("{0} & first=$!; {0}; second=$?; wait $first && [ $second = 0 ]", inspect);
        for (const auto& [backend, env] : {std::pair{"guestuml", guestuml_env}, std::pair{"qemu", qemu_env}}) {
            const auto [a, b] = interleaved_medians(env + inspect, env + two, runs);
            fmt::print("{:<10} {:>7.2f}s {:>7.2f}s {:>7.2f}x\n", backend, a, b, b / a);
        }
        const auto host = guestuml::bench::measure_fork_scaling(300);
        fmt::print("{:<10} {:>7.2f}s {:>7.2f}s {:>7.2f}x   (the host itself: 300 fork+exit+wait)\n", "host fork",
                   host.one_seconds, host.two_seconds, host.two_seconds / host.one_seconds);
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "bench_plugin: {}\n", e.what());
        return 1;
    }
}
