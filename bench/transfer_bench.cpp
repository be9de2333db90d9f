// Bulk transfer over guestfsd's channel with stock guestfish, in one run:
// guestuml's virtio channel, guestuml's serial line and libguestfs on QEMU TCG.
// A fourth setup runs the virtio channel without guestfsd's channel I/O
// preload (guestuml_channel_io=0), for what that preload gains.
// Each upload/download is timed inside guestfish ("time" command), so the
// launch is not counted; the data goes to and from a blank raw disk of the
// same size, with no filesystem in the way.
//
// The data, the disk and the downloaded copy live in /dev/shm where it has
// room for them: on a disk, the host's writeback of those files (1.5 GiB a
// setup) comes and goes while a transfer runs, and moved guestuml's figures
// by up to ten times between runs (docs/channel-io.md). --dir puts them
// elsewhere.
//
// usage: bench_transfer [--mib N (512)] [--serial-mib N (32)] [--dir DIR]
#include "qemu_reference.hpp"

#include "guestuml/error.hpp"
#include "guestuml/temp_dir.hpp"

#include <boost/filesystem/operations.hpp>

#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <regex>
#include <string>
#include <vector>

namespace fs = boost::filesystem;

namespace {

std::string capture(const std::string& script)
{
    std::string out;
    std::FILE* f = ::popen(fmt::format("( {} ) 2>&1", script).c_str(), "r");
    if (!f)
        guestuml::throw_errno("popen");
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        out.append(buf, n);
    if (::pclose(f) != 0)
        throw guestuml::Error(fmt::format("benchmark command failed: {}\n{}", script, out));
    return out;
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

struct Setup {
    std::string name;
    std::string env;     // shell prefix that points libguestfs at the hypervisor
    unsigned mib;
};

struct Result {
    double upload_mbs = 0;
    double download_mbs = 0;
};

Result measure(const Setup& setup, const fs::path& dir)
{
    const fs::path data = dir / fmt::format("data{}", setup.mib), disk = dir / "disk.img", back = dir / "back";
    capture(fmt::format("test -f {0} || head -c {1}M /dev/urandom > {0}; rm -f {2}; truncate -s {1}M {2}", q(data),
                        setup.mib, q(disk)));
    const std::string out = capture(setup.env + fmt::format(" guestfish -a {} run : time upload {} /dev/sda : "
                                                            "time download /dev/sda {}",
                                                            q(disk), q(data), q(back)));
    const std::regex elapsed("elapsed time: ([0-9.]+) seconds");
    std::vector<double> seconds;
    for (std::sregex_iterator it(out.begin(), out.end(), elapsed), end; it != end; ++it)
        seconds.push_back(std::stod((*it)[1]));
    if (seconds.size() != 2)
        throw guestuml::Error(fmt::format("{}: cannot find two timings in guestfish's output:\n{}", setup.name, out));
    if (capture(fmt::format("cmp {} {} && echo same", q(data), q(back))).find("same") == std::string::npos)
        throw guestuml::Error(fmt::format("{}: the downloaded data differ", setup.name));
    const double mb = setup.mib * 1048576.0 / 1e6;
    return {mb / seconds[0], mb / seconds[1]};
}

std::string text_option(int argc, char** argv, const std::string& name)
{
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == name)
            return argv[i + 1];
    return {};
}

// /dev/shm if it has room for the data, the disk and the copy (and the
// guests' memory files, which live there too), else $TMPDIR.
fs::path work_parent(unsigned mib)
{
    boost::system::error_code ec;
    const auto space = fs::space("/dev/shm", ec);
    if (!ec && space.available / 1048576 > 4ull * mib)
        return "/dev/shm";
    return {};
}

unsigned option(int argc, char** argv, const std::string& name, unsigned fallback)
{
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == name)
            return static_cast<unsigned>(std::stoul(argv[i + 1]));
    return fallback;
}

} // namespace

int main(int argc, char** argv)
try {
    const unsigned mib = option(argc, argv, "--mib", 512);
    const unsigned serial_mib = option(argc, argv, "--serial-mib", 32);
    const std::string guestuml_env = fmt::format("eval \"$('{}' env)\" &&", GUESTUML_PROGRAM);
    const std::vector<Setup> setups = {
        {"guestuml virtio", guestuml_env + " GUESTUML_CHANNEL=virtio", mib},
        {"guestuml serial", guestuml_env + " GUESTUML_CHANNEL=serial", serial_mib},
        {"libguestfs+QEMU TCG", guestuml::test::qemu_reference_shell_prefix(), mib},
        // What guestuml-channel-io.so (appliance/channel_io/) gains.
        {"guestuml virtio, plain", guestuml_env + " GUESTUML_CHANNEL=virtio LIBGUESTFS_APPEND=guestuml_channel_io=0",
         mib},
    };
    const std::string dir_option = text_option(argc, argv, "--dir");
    guestuml::TempDir dir("guestuml-bench-transfer", dir_option.empty() ? work_parent(mib) : fs::path(dir_option));
    fmt::print("files in {}\n", dir.path().parent_path().string());
    std::vector<Result> results;
    fmt::print("{:<22} {:>8} {:>14} {:>16}\n", "setup", "MiB", "upload MB/s", "download MB/s");
    for (const auto& s : setups) {
        results.push_back(measure(s, dir.path()));
        fmt::print("{:<22} {:>8} {:>14.1f} {:>16.1f}\n", s.name, s.mib, results.back().upload_mbs,
                   results.back().download_mbs);
        std::fflush(stdout);
    }
    const Result& qemu = results[2];
    for (size_t i = 0; i < 2; ++i)
        fmt::print("{} / QEMU TCG: upload {:.2f}x, download {:.2f}x\n", setups[i].name,
                   results[i].upload_mbs / qemu.upload_mbs, results[i].download_mbs / qemu.download_mbs);
    fmt::print("guestuml virtio / serial: upload {:.1f}x, download {:.1f}x\n",
               results[0].upload_mbs / results[1].upload_mbs, results[0].download_mbs / results[1].download_mbs);
    fmt::print("guestuml virtio / without the channel I/O preload: upload {:.2f}x, download {:.2f}x\n",
               results[0].upload_mbs / results[3].upload_mbs, results[0].download_mbs / results[3].download_mbs);
    return 0;
} catch (const std::exception& e) {
    fmt::print(stderr, "bench_transfer: {}\n", e.what());
    return 1;
}
