#include "captured_command_lines.hpp"
#include "kernel_append.hpp"
#include "launch_translation.hpp"
#include "qemu_args.hpp"

#include "guestuml/error.hpp"

#include <catch2/catch.hpp>

using namespace guestuml::plugin;
using guestuml::Error;

namespace {

LaunchPlan translate(const std::vector<std::string>& args)
{
    return translate_launch(parse_qemu_args(args));
}

// The captured read-only launch with one argument replaced.
std::vector<std::string> with(std::vector<std::string> args, const std::string& from, const std::string& to)
{
    for (auto& a : args)
        if (a == from)
            a = to;
    return args;
}

std::vector<std::string> plus(std::vector<std::string> args, const std::vector<std::string>& more)
{
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

} // namespace

TEST_CASE("the /dev/null launch becomes one raw writable disk on the appliance", "[unit][translation]")
{
    const auto plan = translate(test::devnull_launch("/app"));
    CHECK(plan.config.kernel == "/app/kernel");
    CHECK(plan.config.root == "/app/root");
    CHECK(plan.config.memory_mb == 1280);
    REQUIRE(plan.config.disks.size() == 1);
    CHECK(plan.config.disks[0].path == "/tmp/libguestfsmbEON4/devnull1.img");
    CHECK(plan.config.disks[0].format == "raw");
    CHECK_FALSE(plan.config.disks[0].read_only);
    CHECK(plan.channel_socket == "/tmp/libguestfs1JVHzB/guestfsd.sock");
    CHECK(plan.console_to_stdout);
    CHECK(plan.config.kernel_args == std::vector<std::string>{"guestfs_verbose=1", "TERM=xterm"});
    CHECK(plan.notes.empty());
}

TEST_CASE("read-only drives are served as libguestfs's writable qcow2 overlays", "[unit][translation]")
{
    const auto plan = translate(test::readonly_two_drives_launch("/app"));
    REQUIRE(plan.config.disks.size() == 2);
    CHECK(plan.config.disks[0].path == "/tmp/libguestfsNsQbOk/overlay1.qcow2");
    CHECK(plan.config.disks[0].format == "qcow2");
    CHECK_FALSE(plan.config.disks[0].read_only);
    CHECK(plan.config.disks[1].path == "/tmp/libguestfsNsQbOk/overlay2.qcow2");
    CHECK(plan.config.kernel_args == std::vector<std::string>{"quiet", "TERM=xterm"});
}

TEST_CASE("writable drives keep libguestfs's format and comma-escaped names", "[unit][translation]")
{
    const auto plan = translate(test::writable_three_drives_launch("/app"));
    REQUIRE(plan.config.disks.size() == 3);
    CHECK(plan.config.disks[0].format == "raw");
    CHECK(plan.config.disks[1].format == "qcow2");
    CHECK(plan.config.disks[2].path == "/tmp/plugin-research/c,with:comma.img");
}

TEST_CASE("a drive without format= is left for probing, never guessed", "[unit][translation]")
{
    const auto args = with(test::devnull_launch("/app"),
                           "file=/tmp/libguestfsmbEON4/devnull1.img,cache=writeback,format=raw,id=hd0,if=none",
                           "file=/images/x.img,cache=writeback,id=hd0,if=none");
    const auto plan = translate(args);
    REQUIRE(plan.config.disks.size() == 1);
    CHECK(plan.config.disks[0].format.empty());
}

TEST_CASE("disk order follows -device order, virtio-blk included", "[unit][translation]")
{
    auto args = test::virtio_blk_launch("/app");
    auto plan = translate(args);
    REQUIRE(plan.config.disks.size() == 2);
    CHECK(plan.config.disks[0].path == "/tmp/plugin-research/a.raw");
    CHECK(plan.config.disks[1].format == "qcow2");

    // Swapping the devices swaps the disks, whatever the -drive order.
    args = with(args, "virtio-blk-pci,drive=hd0", "scsi-hd,drive=hdX");
    args = with(args, "scsi-hd,drive=hd1", "virtio-blk-pci,drive=hd0");
    args = with(args, "scsi-hd,drive=hdX", "scsi-hd,drive=hd1");
    plan = translate(args);
    REQUIRE(plan.config.disks.size() == 2);
    CHECK(plan.config.disks[0].path == "/tmp/libguestfs90VtVs/overlay2.qcow2");
    CHECK(plan.config.disks[1].path == "/tmp/plugin-research/a.raw");
}

TEST_CASE("snapshot=on on a user drive asks for a private overlay", "[unit][translation]")
{
    const auto args = with(test::devnull_launch("/app"),
                           "file=/tmp/libguestfsmbEON4/devnull1.img,cache=writeback,format=raw,id=hd0,if=none",
                           "file=/images/x.img,snapshot=on,cache=writeback,format=raw,id=hd0,if=none");
    const auto plan = translate(args);
    CHECK(plan.config.disks.at(0).read_only);
}

TEST_CASE("memory: a sane minimum, suffixes, and -smp accepted with a note", "[unit][translation]")
{
    const auto base = test::devnull_launch("/app");
    CHECK(translate(with(base, "1280", "2G")).config.memory_mb == 2048);
    CHECK(translate(with(base, "1280", "size=768M")).config.memory_mb == 768);
    CHECK_THROWS_WITH(translate(with(base, "1280", "64")), Catch::Contains("at least 128 MiB"));
    CHECK_THROWS_WITH(translate(with(base, "1280", "lots")), Catch::Contains("-m lots"));
    const auto plan = translate(plus(base, {"-smp", "4"}));
    REQUIRE(plan.notes.size() == 1);
    CHECK(plan.notes[0].find("-smp 4") != std::string::npos);
    CHECK(translate(plus(base, {"-smp", "1"})).notes.empty());
}

TEST_CASE("what the UML appliance cannot do is an error naming the option", "[unit][translation]")
{
    const auto base = test::devnull_launch("/app");
    CHECK_THROWS_WITH(translate(plus(base, {"-netdev", "user,id=usernet,net=169.254.0.0/16", "-device",
                                            "virtio-net-pci,netdev=usernet"})),
                      Catch::Contains("-netdev user"));
    CHECK_THROWS_WITH(translate(with(base, "none", "gtk")), Catch::Contains("-display gtk"));
    CHECK_THROWS_WITH(translate(with(base, "scsi-hd,drive=hd0", "scsi-hd,drive=hd0,serial=lbl")),
                      Catch::Contains("serial=lbl"));
    CHECK_THROWS_WITH(translate(with(base, "scsi-hd,drive=hd0", "scsi-hd,drive=hd0,physical_block_size=4096")),
                      Catch::Contains("physical_block_size"));
    CHECK_THROWS_WITH(translate(with(base, "scsi-hd,drive=hd0", "ide-hd,drive=hd0")), Catch::Contains("ide-hd"));
    CHECK_THROWS_WITH(translate(with(base, "stdio", "pty")), Catch::Contains("-serial pty"));
    CHECK_THROWS_WITH(translate(plus(base, {"-object", "secret,id=sec0,data=x"})), Catch::Contains("secret"));
}

TEST_CASE("drives must be local files attached to a device", "[unit][translation]")
{
    const auto base = test::devnull_launch("/app");
    const std::string drive = "file=/tmp/libguestfsmbEON4/devnull1.img,cache=writeback,format=raw,id=hd0,if=none";
    CHECK_THROWS_WITH(translate(with(base, drive, "file=nbd:localhost:10809,format=raw,id=hd0,if=none")),
                      Catch::Contains("remote drive"));
    CHECK_THROWS_WITH(translate(with(base, drive, "file=/x.img,format=raw,id=hd0,if=ide")),
                      Catch::Contains("if=ide"));
    CHECK_THROWS_WITH(translate(with(base, drive, "file=/x.img,format=raw,id=hd0,if=none,aio=native")),
                      Catch::Contains("aio=native"));
    CHECK_THROWS_WITH(translate(with(base, "scsi-hd,drive=hd0", "virtio-rng-pci")),
                      Catch::Contains("id=hd0: not attached"));
    CHECK_THROWS_WITH(translate(with(base, "scsi-hd,drive=hd0", "scsi-hd,drive=hd9")),
                      Catch::Contains("no -drive with id=hd9"));
}

TEST_CASE("the launch must use the guestuml appliance and guestfsd's channel", "[unit][translation]")
{
    auto base = test::devnull_launch("/app");
    CHECK_THROWS_WITH(translate(with(base, "scsi-hd,drive=appliance", "virtio-rng-pci")),
                      Catch::Contains("id=appliance: not attached"));
    CHECK_THROWS_WITH(translate(with(base, "virtserialport,chardev=channel0,name=org.libguestfs.channel.0",
                                     "virtserialport,chardev=channel0,name=other")),
                      Catch::Contains("org.libguestfs.channel.0"));
    CHECK_THROWS_WITH(translate(with(base, "socket,path=/tmp/libguestfs1JVHzB/guestfsd.sock,id=channel0",
                                     "socket,path=/tmp/s,id=channel0,server=on")),
                      Catch::Contains("server=on"));
    CHECK_THROWS_WITH(translate({"-m", "512"}), Catch::Contains("no -kernel"));
}

TEST_CASE("PC-only kernel parameters are dropped, libguestfs's own kept", "[unit][translation]")
{
    CHECK(appliance_kernel_args(test::verbose_append) == std::vector<std::string>{"guestfs_verbose=1", "TERM=xterm"});
    CHECK(appliance_kernel_args("panic=1 quiet TERM=linux guestfs_identifier=x guestfs_network=1 "
                                "selinux=1 enforcing=0 my.param=3") ==
          std::vector<std::string>{"quiet", "TERM=linux", "guestfs_identifier=x", "guestfs_network=1", "my.param=3"});
    CHECK(appliance_kernel_args("  ").empty());
}

TEST_CASE("a PC kernel image is refused with advice", "[unit][translation]")
{
    CHECK_NOTHROW(check_uml_kernel("/proc/self/exe"));
    CHECK_THROWS_WITH(check_uml_kernel("/etc/hostname"), Catch::Contains("guestuml env"));
    CHECK_THROWS_WITH(check_uml_kernel("/nonexistent/kernel"), Catch::Contains("cannot open"));
}
