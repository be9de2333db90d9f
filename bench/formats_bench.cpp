// Sequential read of 512 MiB inside the guest (dd from the disk to /dev/null,
// run by guestfsd's "debug sh"), from a raw file, a qcow2 file and an nbd
// server on a Unix socket, all on guestuml. The data crosses vhost-user-blk from
// qemu-storage-daemon, never libguestfs's channel. Host page cache warm: it
// measures the block path, not the host disk.
#include "guestuml/error.hpp"
#include "guestuml/process.hpp"
#include "guestuml/run_command.hpp"
#include "guestuml/temp_dir.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <guestfs.h>
#include <memory>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace {

constexpr unsigned size_mib = 512;

struct HandleCloser {
    void operator()(guestfs_h* g) const noexcept { guestfs_close(g); }
};

void use_guestuml()
{
    const std::string env = guestuml::run_command_checked({GUESTUML_PROGRAM, "env"});
    for (const std::string name : {"LIBGUESTFS_BACKEND", "LIBGUESTFS_HV", "LIBGUESTFS_PATH"}) {
        const auto at = env.find("export " + name + "=");
        if (at == std::string::npos)
            throw guestuml::Error("guestuml env printed no " + name);
        auto value = env.substr(at + 8 + name.size(), env.find('\n', at) - at - 8 - name.size());
        if (!value.empty() && value.front() == '\'')
            value = value.substr(1, value.size() - 2);
        ::setenv(name.c_str(), value.c_str(), 1);
    }
}

// Seconds for dd to read the whole disk inside the guest (best of 3); the guest
// kernel names it vda (guestfsd shows it as /dev/sda through the API only).
double read_in_guest(const char* file, const char* format, const char* protocol, const char* server)
{
    std::unique_ptr<guestfs_h, HandleCloser> g(guestfs_create());
    const char* servers[] = {server, nullptr};
    struct guestfs_add_drive_opts_argv args{};
    args.bitmask = GUESTFS_ADD_DRIVE_OPTS_READONLY_BITMASK | GUESTFS_ADD_DRIVE_OPTS_FORMAT_BITMASK;
    args.readonly = 1;
    args.format = format;
    if (protocol) {
        args.bitmask |= GUESTFS_ADD_DRIVE_OPTS_PROTOCOL_BITMASK | GUESTFS_ADD_DRIVE_OPTS_SERVER_BITMASK;
        args.protocol = protocol;
        args.server = const_cast<char**>(servers);
    }
    if (!g || guestfs_add_drive_opts_argv(g.get(), file, &args) != 0 || guestfs_launch(g.get()) != 0)
        throw guestuml::Error(fmt::format("launch on {} failed", file));
    double best = 1e9;
    for (int i = 0; i < 3; ++i) {
        const char* cmd[] = {"dd if=/dev/vda of=/dev/null bs=1M iflag=direct 2>&1", nullptr};
        const auto start = std::chrono::steady_clock::now();
        char* out = guestfs_debug(g.get(), "sh", const_cast<char**>(cmd));
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!out)
            throw guestuml::Error(fmt::format("debug sh dd on {} failed", file));
        std::free(out);
        best = std::min(best, s);
    }
    guestfs_shutdown(g.get());
    return best;
}

} // namespace

int main()
try {
    use_guestuml();
    guestuml::TempDir dir("guestuml-bench-formats");
    const std::string raw = (dir.path() / "disk.raw").string();
    const std::string qcow2 = (dir.path() / "disk.qcow2").string();
    const std::string sock = (dir.path() / "nbd.sock").string();
    // Random data: holes or zeros would let qemu skip the reads.
    guestuml::run_command_checked({"dd", "if=/dev/urandom", "of=" + raw, "bs=1M",
                                   fmt::format("count={}", size_mib), "status=none"});
    guestuml::run_command_checked({"qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2});
    guestuml::SpawnOptions nbd_opts;
    nbd_opts.argv = {"qemu-nbd", "-r", "-t", "-f", "raw", "-k", sock, raw};
    guestuml::Process nbd(nbd_opts);
    for (int i = 0; i < 200 && ::access(sock.c_str(), F_OK) != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));

    fmt::print("sequential read of {} MiB inside the guest (dd bs=1M iflag=direct), best of 3\n", size_mib);
    const struct {
        const char* name;
        const char* file;
        const char* format;
        const char* protocol;
        const char* server;
    } cases[] = {
        {"raw", raw.c_str(), "raw", nullptr, nullptr},
        {"qcow2", qcow2.c_str(), "qcow2", nullptr, nullptr},
        {"nbd (unix socket)", "", "raw", "nbd", nullptr},
    };
    const std::string server = "unix:" + sock;
    for (const auto& c : cases) {
        const double s = read_in_guest(c.file, c.format, c.protocol, c.protocol ? server.c_str() : nullptr);
        fmt::print("  {:<18} {:6.2f} s  {:7.1f} MB/s\n", c.name, s, size_mib * 1.048576 / s);
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_formats: %s\n", e.what());
    return 1;
}
