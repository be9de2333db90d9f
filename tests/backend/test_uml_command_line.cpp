#include "delay_loop.hpp"
#include "guestuml/error.hpp"
#include "guestuml/uml_command_line.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using guestuml::build_uml_argv;
using guestuml::Error;
using guestuml::UmlCommandLine;
using Catch::Matchers::Contains;

namespace {

UmlCommandLine sample()
{
    UmlCommandLine cmd;
    cmd.kernel = "/usr/bin/linux.uml";
    cmd.root = "/cache/appliance/root";
    cmd.memory_mb = 768;
    cmd.umid = "appliance";
    cmd.uml_dir = "/tmp/guestuml-abc/uml";
    cmd.console_fd = 1;
    cmd.serial_channel_fd = 3;
    cmd.block_sockets = {"/tmp/guestuml-abc/disk0.sock", "/tmp/guestuml-abc/disk1.sock"};
    cmd.extra_args = {"guestfs_verbose=1", "TERM=dumb"};
    return cmd;
}

} // namespace

TEST_CASE("the UML command line has every parameter in order", "[uml_command_line]")
{
    const std::vector<std::string> expected{
        "/usr/bin/linux.uml", "mem=768M", "umid=appliance", "uml_dir=/tmp/guestuml-abc/uml",
        "ubd0r=/cache/appliance/root", "root=/dev/ubda", "ro", "init=/init", "pty.legacy_count=0", "con=null", "ssl=null",
        "con0=null,fd:1", "ssl3=fd:3", "guestfs_channel=/dev/ttyS3",
        "virtio_uml.device=/tmp/guestuml-abc/disk0.sock:2", "virtio_uml.device=/tmp/guestuml-abc/disk1.sock:2",
        "guestfs_verbose=1", "TERM=dumb"};
    CHECK(build_uml_argv(sample()) == expected);
}

TEST_CASE("optional parts of the UML command line", "[uml_command_line]")
{
    UmlCommandLine cmd = sample();
    cmd.serial_channel_fd = -1;
    cmd.console_fd = -1;
    cmd.block_sockets.clear();
    cmd.extra_args.clear();
    cmd.console_socket = "/tmp/guestuml-abc/console.sock";
    const auto argv = build_uml_argv(cmd);
    CHECK(argv.back() == "virtio_uml.device=/tmp/guestuml-abc/console.sock:3");
    CHECK(std::find(argv.begin(), argv.end(), "con0=null") != argv.end());
    for (const auto& a : argv) {
        CHECK(a.rfind("ssl3=", 0) != 0);
        CHECK(a.rfind("guestfs_channel=", 0) != 0);
    }
}

TEST_CASE("a preset delay loop goes on the command line as lpj=, and only when measured", "[uml_command_line]")
{
    UmlCommandLine cmd = sample();
    const auto has_lpj = [](const std::vector<std::string>& argv) {
        return std::any_of(argv.begin(), argv.end(), [](const std::string& a) { return a.rfind("lpj=", 0) == 0; });
    };
    CHECK_FALSE(has_lpj(build_uml_argv(cmd)));
    cmd.loops_per_jiffy = 32604160;
    const auto argv = build_uml_argv(cmd);
    CHECK(std::find(argv.begin(), argv.end(), "lpj=32604160") != argv.end());
    // Before the caller's extra arguments, so a user's own lpj= still wins.
    CHECK(std::find(argv.begin(), argv.end(), "lpj=32604160") < std::find(argv.begin(), argv.end(), "TERM=dumb"));
}

TEST_CASE("the host measures the delay loop the UML kernel would calibrate", "[uml_command_line]")
{
    // Every x86-64 CPU of the last twenty years turns this loop 10^8 to 10^10
    // times a second; UML's jiffy is 10 ms.
    const unsigned long lpj = guestuml::measure_loops_per_jiffy();
    CHECK(lpj > 1'000'000);
    CHECK(lpj < 100'000'000);
}

TEST_CASE("disk sockets follow disk order, the console socket comes after them", "[uml_command_line]")
{
    UmlCommandLine cmd = sample();
    cmd.console_socket = "/s/console.sock";
    const auto argv = build_uml_argv(cmd);
    const auto first = std::find(argv.begin(), argv.end(), "virtio_uml.device=/tmp/guestuml-abc/disk0.sock:2");
    const auto second = std::find(argv.begin(), argv.end(), "virtio_uml.device=/tmp/guestuml-abc/disk1.sock:2");
    const auto console = std::find(argv.begin(), argv.end(), "virtio_uml.device=/s/console.sock:3");
    REQUIRE(first != argv.end());
    CHECK(first < second);
    CHECK(second < console);
    CHECK(console < std::find(argv.begin(), argv.end(), "guestfs_verbose=1"));
}

TEST_CASE("memory outside the supported range is refused", "[uml_command_line]")
{
    UmlCommandLine cmd = sample();
    cmd.memory_mb = 16;
    CHECK_THROWS_WITH(build_uml_argv(cmd), Contains("memory 16 MB out of range"));
    cmd.memory_mb = 1u << 20;
    CHECK_THROWS_AS(build_uml_argv(cmd), Error);
    cmd.memory_mb = 64;
    CHECK_NOTHROW(build_uml_argv(cmd));
}

TEST_CASE("a umid outside letters, digits, '-' and '_' is refused", "[uml_command_line]")
{
    UmlCommandLine cmd = sample();
    for (const char* bad : {"", "a b", "a/b", "a,b", "x:y", "dot.ted"}) {
        cmd.umid = bad;
        CHECK_THROWS_WITH(build_uml_argv(cmd), Contains("umid"));
    }
    cmd.umid = std::string(64, 'a');
    CHECK_THROWS_AS(build_uml_argv(cmd), Error);
    cmd.umid = "Guest_uml-2";
    CHECK_NOTHROW(build_uml_argv(cmd));
}

TEST_CASE("paths UML's parser would split are refused, naming the option", "[uml_command_line]")
{
    for (const char* bad : {"/a,b", "/a:b", "/a b", "/a\tb", "/a\"b"}) {
        UmlCommandLine cmd = sample();
        cmd.root = bad;
        CHECK_THROWS_WITH(build_uml_argv(cmd), Contains("appliance root"));
        cmd = sample();
        cmd.uml_dir = bad;
        CHECK_THROWS_WITH(build_uml_argv(cmd), Contains("uml_dir"));
        cmd = sample();
        cmd.block_sockets[1] = bad;
        CHECK_THROWS_WITH(build_uml_argv(cmd), Contains("disk socket"));
        cmd = sample();
        cmd.console_socket = bad;
        CHECK_THROWS_WITH(build_uml_argv(cmd), Contains("console socket"));
    }
    UmlCommandLine cmd = sample();
    cmd.root.clear();
    CHECK_THROWS_WITH(build_uml_argv(cmd), Contains("empty path"));
}

TEST_CASE("extra kernel parameters must be single words", "[uml_command_line]")
{
    UmlCommandLine cmd = sample();
    cmd.extra_args = {"quiet", "a b"};
    CHECK_THROWS_WITH(build_uml_argv(cmd), Contains("'a b'") && Contains("whitespace"));
    cmd.extra_args = {""};
    CHECK_THROWS_AS(build_uml_argv(cmd), Error);
    cmd.extra_args = {"x=1\n"};
    CHECK_THROWS_AS(build_uml_argv(cmd), Error);
}

TEST_CASE("the kernel path is argv[0] and is not parsed by UML", "[uml_command_line]")
{
    UmlCommandLine cmd = sample();
    cmd.kernel = "/opt/my kernels/linux,uml";
    CHECK(build_uml_argv(cmd).front() == "/opt/my kernels/linux,uml");
    cmd.kernel.clear();
    CHECK_THROWS_AS(build_uml_argv(cmd), Error);
}
