// Integration test: boots the cached appliance directly with linux.uml (no
// backend), its channel on a serial line, and waits for guestfsd's launch flag.
// Needs the appliance_build fixture.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "mconsole.hpp"

#include "guestuml/appliance_cache.hpp"
#include "guestuml/error.hpp"
#include "guestuml/process.hpp"
#include "guestuml/temp_dir.hpp"
#include "guestuml/unique_fd.hpp"

#include <boost/filesystem/operations.hpp>
#include <chrono>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = boost::filesystem;
using namespace guestuml;
using namespace std::chrono_literals;

namespace {

constexpr auto boot_timeout = 180s;   // the machines are shared and slow
constexpr const char* umid = "guestuml-appliance-test";

std::string read_text(const fs::path& file)
{
    std::ifstream in(file.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void run(const std::vector<std::string>& argv, int stdin_fd = -1)
{
    SpawnOptions options;
    options.argv = argv;
    if (stdin_fd >= 0)
        options.fds = {{stdin_fd, 0}};
    Process process(options);
    const int status = process.wait();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(fmt::format("{} {}", argv.at(0), describe_wait_status(status)));
}

// A raw image with a GPT and two partitions, made with sfdisk.
void make_partitioned_image(const fs::path& image)
{
    { std::ofstream(image.string()); }
    fs::resize_file(image, 64u << 20);
    const fs::path script = image.string() + ".sfdisk";
    std::ofstream(script.string()) << "label: gpt\n,32M\n,\n";
    UniqueFd in(::open(script.c_str(), O_RDONLY | O_CLOEXEC));
    run({"sfdisk", "--quiet", image.string()}, in.get());
}

// A listening Unix socket at path, for qemu-storage-daemon's addr.type=fd.
UniqueFd listen_at(const fs::path& path)
{
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.string().size() < sizeof addr.sun_path);
    std::strcpy(addr.sun_path, path.c_str());
    if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == -1 ||
        ::listen(fd.get(), 1) == -1)
        throw_errno("listening on " + path.string());
    return fd;
}

// One read-only vhost-user-blk export of image on a socket we bound ourselves.
Process serve_disk(const fs::path& image, const UniqueFd& listener)
{
    SpawnOptions options;
    options.argv = {"qemu-storage-daemon",
                    "--blockdev", fmt::format("driver=file,filename={},node-name=file0,read-only=on", image.string()),
                    "--blockdev", "driver=raw,file=file0,node-name=disk0,read-only=on",
                    "--export", "type=vhost-user-blk,id=export0,node-name=disk0,addr.type=fd,addr.str=3"};
    options.fds = {{listener.get(), 3}};
    return Process(options);
}

struct Boot {
    double seconds_to_flag = 0;
    std::string flag_hex;
    std::string console;
};

enum class Stop { kill, ctrl_alt_del };

// Boots the appliance with the given vhost-user-blk sockets and waits for the launch flag.
Boot boot(const ApplianceFiles& appliance, const TempDir& dir, const std::vector<fs::path>& disks, Stop stop)
{
    auto channel = make_socketpair();
    const fs::path console_log = dir.path() / "console.log";
    UniqueFd console(::open(console_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    REQUIRE(console);

    SpawnOptions options;
    options.argv = {appliance.kernel.string(), "mem=512M", fmt::format("umid={}", umid),
                    "uml_dir=" + dir.path().string(), "ubd0r=" + appliance.root.string(),
                    "root=/dev/ubda", "ro", "init=/init", "con=null", "ssl=null", "con0=null,fd:1",
                    "ssl3=fd:3", "guestfs_channel=/dev/ttyS3", "guestfs_verbose=1",
                    // Registering 256 legacy BSD ptys takes seconds of UML boot time.
                    "pty.legacy_count=0"};
    for (const auto& socket : disks)
        options.argv.push_back(fmt::format("virtio_uml.device={}:2", socket.string()));
    options.fds = {{console.get(), 1}, {console.get(), 2}, {channel.second.get(), 3}};
    options.contain = true;

    const auto start = std::chrono::steady_clock::now();
    Process uml(options);
    channel.second.reset();

    Boot result;
    unsigned char flag[4];
    size_t got = 0;
    while (got < sizeof flag) {
        const auto left = boot_timeout - (std::chrono::steady_clock::now() - start);
        pollfd fds[2] = {{channel.first.get(), POLLIN, 0}, {uml.exit_fd(), POLLIN, 0}};
        const int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(left).count());
        if (ms <= 0 || ::poll(fds, 2, ms) <= 0 || !(fds[0].revents & (POLLIN | POLLHUP)))
            break;
        const ssize_t n = ::read(channel.first.get(), flag + got, sizeof flag - got);
        if (n <= 0)
            break;
        got += static_cast<size_t>(n);
    }
    result.seconds_to_flag = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (size_t i = 0; i < got; ++i)
        result.flag_hex += fmt::format("{:02x}", flag[i]);

    if (stop == Stop::ctrl_alt_del && got == sizeof flag) {
        const auto reply = mconsole_command(dir.path() / umid / "mconsole", "cad");
        CHECK(reply.ok);
        const auto status = uml.wait_for(60s);
        INFO("the init turns Ctrl-Alt-Del into a power-off; UML did not exit");
        CHECK(status.has_value());
    }
    uml.kill();
    result.console = read_text(console_log);
    return result;
}

ApplianceFiles cached_appliance()
{
    return ensure_appliance(default_appliance_inputs(), [](std::string_view m) { fmt::print("{}\n", m); });
}

void report(const std::string& what, const Boot& b)
{
    std::string overlay = "?";
    if (const size_t at = b.console.find("overlay root: "); at != std::string::npos)
        overlay = b.console.substr(at + 14, b.console.find(" ms", at) - at - 14);
    fmt::print("{}: launch flag after {:.2f} s (overlay root {} ms)\n", what, b.seconds_to_flag, overlay);
}

} // namespace

TEST_CASE("the appliance boots with no disks, and Ctrl-Alt-Del powers it off")
{
    const ApplianceFiles appliance = cached_appliance();
    TempDir dir("guestuml-appliance-boot");
    const Boot b = boot(appliance, dir, {}, Stop::ctrl_alt_del);
    INFO("console:\n" << b.console);
    CHECK(b.flag_hex == "f5f55ff5");
    CHECK(b.console.find("guestuml-init: overlay root:") != std::string::npos);
    CHECK(b.console.find("guestuml-init: warning") == std::string::npos);
    CHECK(b.console.find("Ctrl-Alt-Del: stopping guestfsd") != std::string::npos);
    report("no disks", b);
}

TEST_CASE("a vhost-user-blk disk gets its /dev/disk/by-path links")
{
    const ApplianceFiles appliance = cached_appliance();
    TempDir dir("guestuml-appliance-boot");
    const fs::path image = dir.path() / "disk.img";
    make_partitioned_image(image);
    const fs::path socket = dir.path() / "disk0.sock";
    const UniqueFd listener = listen_at(socket);
    Process daemon = serve_disk(image, listener);

    const Boot b = boot(appliance, dir, {socket}, Stop::kill);
    daemon.kill();
    INFO("console:\n" << b.console);
    CHECK(b.flag_hex == "f5f55ff5");
    CHECK(b.console.find("/dev/disk/by-path/virtio-uml-0 -> vda, virtio-uml-0-part1 -> vda1, "
                         "virtio-uml-0-part2 -> vda2") != std::string::npos);
    CHECK(b.console.find("guestuml-init: warning") == std::string::npos);
    report("one disk", b);
}
