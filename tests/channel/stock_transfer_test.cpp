// Stock guestfish through guestuml (eval "$(guestuml env)") moving bulk data
// over guestfsd's channel: upload and download with equal sha256 on the virtio
// channel and on the serial line (GUESTUML_CHANNEL=serial), and a tar-in /
// tar-out round trip of 10 000 small files on virtio.
#include "guestuml/error.hpp"
#include "guestuml/temp_dir.hpp"

#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <string>
#include <sys/wait.h>

namespace fs = boost::filesystem;

namespace {

struct Shell {
    int status = -1;
    std::string out;    // stdout and stderr together
    double seconds = 0;
    bool ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

Shell sh(const std::string& script)
{
    Shell result;
    const auto start = std::chrono::steady_clock::now();
    std::FILE* f = ::popen(fmt::format("( {} ) 2>&1", script).c_str(), "r");
    if (!f)
        guestuml::throw_errno("popen");
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        result.out.append(buf, n);
    result.status = ::pclose(f);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// Exports for guestuml's libguestfs, and the channel to use.
std::string env_for(const std::string& channel)
{
    return fmt::format("eval \"$('{}' env)\" && export GUESTUML_CHANNEL={} && ", GUESTUML_PROGRAM, channel);
}

std::string sha256(const fs::path& file)
{
    const Shell s = sh(fmt::format("sha256sum {} | cut -d' ' -f1", q(file)));
    if (!s.ok())
        throw guestuml::Error("sha256sum failed: " + s.out);
    return s.out;
}

// Uploads a random file of mib MiB onto a blank disk of the same size (the
// device itself, so no filesystem gets in the way), downloads the device, and
// compares checksums.
void round_trip(const std::string& channel, unsigned mib)
{
    guestuml::TempDir dir("guestuml-transfer-test");
    const fs::path data = dir.path() / "data", disk = dir.path() / "disk.img", back = dir.path() / "back";
    const Shell made = sh(fmt::format("head -c {}M /dev/urandom > {} && truncate -s {}M {}", mib, q(data), mib, q(disk)));
    REQUIRE(made.ok());

    const Shell up = sh(env_for(channel) + fmt::format("guestfish -a {} run : upload {} /dev/sda", q(disk), q(data)));
    INFO(up.out);
    REQUIRE(up.ok());
    const Shell down = sh(env_for(channel) + fmt::format("guestfish --ro -a {} run : download /dev/sda {}", q(disk), q(back)));
    INFO(down.out);
    REQUIRE(down.ok());
    WARN(fmt::format("{} channel, {} MiB: upload {:.1f} s, download {:.1f} s (each including a launch)", channel, mib,
                     up.seconds, down.seconds));

    const std::string expected = sha256(data);
    CHECK(sha256(disk) == expected);
    CHECK(sha256(back) == expected);
}

// GUESTUML_TRANSFER_MIB overrides the virtio size (1024 for the 1 GiB).
unsigned virtio_mib()
{
    const char* env = std::getenv("GUESTUML_TRANSFER_MIB");
    return env && *env ? static_cast<unsigned>(std::stoul(env)) : 128;
}

} // namespace

TEST_CASE("upload and download on the virtio channel keep their sha256")
{
    // 128 MiB by default: on this loaded 2-core machine the channel moves only
    // 3-7 MB/s through guestfsd, so 1 GiB would take over five minutes.
    round_trip("virtio", virtio_mib());
}

TEST_CASE("16 MiB upload and download on the serial line keep their sha256")
{
    // The serial line moves about 1.5 MB/s: a gigabyte would take a quarter hour.
    round_trip("serial", 16);
}

TEST_CASE("tar-in and tar-out of 10 000 small files on the virtio channel")
{
    guestuml::TempDir dir("guestuml-transfer-test");
    const fs::path tree = dir.path() / "tree", in_tar = dir.path() / "in.tar", out_tar = dir.path() / "out.tar",
                   back = dir.path() / "back", disk = dir.path() / "disk.img";
    const Shell made = sh(fmt::format(
        "set -e; cd {0}; mkdir tree; for d in $(seq 0 99); do mkdir tree/d$d; "
        "for f in $(seq 0 99); do echo \"file $d/$f $RANDOM\" > tree/d$d/f$f; done; done; "
        "tar -C tree -cf {1} . ; truncate -s 256M {2}; mkdir back",
        q(dir.path()), q(in_tar), q(disk)));
    REQUIRE(made.ok());

    const Shell run = sh(env_for("virtio") + fmt::format(
        "guestfish -a {} run : mkfs ext4 /dev/sda : mount /dev/sda / : mkdir /t : tar-in {} /t : tar-out /t {}",
        q(disk), q(in_tar), q(out_tar)));
    INFO(run.out);
    REQUIRE(run.ok());

    const Shell compared = sh(fmt::format("tar -C {} -xf {} && find {} -type f | wc -l && diff -r {} {}", q(back),
                                          q(out_tar), q(back), q(tree), q(back)));
    INFO(compared.out);
    REQUIRE(compared.ok());
    CHECK(compared.out.rfind("10000\n", 0) == 0);
}
