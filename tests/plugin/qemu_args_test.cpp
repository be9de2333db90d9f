#include "captured_command_lines.hpp"
#include "qemu_args.hpp"

#include "guestuml/error.hpp"

#include <catch2/catch.hpp>

using namespace guestuml::plugin;

TEST_CASE("option lists split on single commas and keep doubled ones", "[unit][qemu_args]")
{
    const auto list = parse_option_list("file=/tmp/c,,with:comma.img,cache=writeback,id=hd2");
    REQUIRE(list.items.size() == 3);
    CHECK(list.get("file") == "/tmp/c,with:comma.img");
    CHECK(list.get("cache") == "writeback");
    CHECK_FALSE(list.get("format"));
}

TEST_CASE("option lists store a leading bare value under the implied key", "[unit][qemu_args]")
{
    const auto dev = parse_option_list("scsi-hd,drive=hd0", "driver");
    CHECK(dev.get("driver") == "scsi-hd");
    CHECK(dev.get("drive") == "hd0");
    CHECK(parse_option_list("readonly,file=x").get("readonly") == "on");
    CHECK_THROWS_AS(parse_option_list("=x"), guestuml::Error);
}

TEST_CASE("the probes libguestfs runs are recognised", "[unit][qemu_args]")
{
    CHECK(parse_qemu_args({"-display", "none", "-help"}).help);
    CHECK(parse_qemu_args({"-version"}).version);
    const auto devices = parse_qemu_args({"-display", "none", "-machine", "accel=kvm:tcg", "-device", "?"});
    CHECK(devices.device_help);
    CHECK(devices.devices.empty());
    CHECK(parse_qemu_args({"-device", "help"}).device_help);
    CHECK(parse_qemu_args({"-machine", "help"}).machine_help);
    CHECK(parse_qemu_args({"-display", "none", "-machine", "accel=kvm:tcg", "-qmp", "stdio"}).qmp == "stdio");
}

TEST_CASE("a real launch command line parses completely", "[unit][qemu_args]")
{
    const auto cmd = parse_qemu_args(test::readonly_two_drives_launch("/app"));
    CHECK(cmd.memory == "1280");
    CHECK(cmd.kernel == "/app/kernel");
    CHECK(cmd.initrd == "/app/initrd");
    CHECK(cmd.append == test::quiet_append);
    REQUIRE(cmd.drives.size() == 3);
    CHECK(cmd.drives[0].get("file.file.filename") == "/tmp/libguestfsNsQbOk/overlay1.qcow2");
    CHECK(cmd.drives[2].get("id") == "appliance");
    REQUIRE(cmd.devices.size() == 7);
    CHECK(cmd.devices[0].get("driver") == "virtio-rng-pci");
    CHECK(cmd.devices[2].get("drive") == "hd0");
    REQUIRE(cmd.chardevs.size() == 1);
    CHECK(cmd.chardevs[0].get("backend") == "socket");
    CHECK(cmd.serials == std::vector<std::string>{"stdio"});
    CHECK(cmd.displays == std::vector<std::string>{"none"});
    CHECK(cmd.objects.size() == 1);
    CHECK_FALSE(cmd.help);
    CHECK_FALSE(cmd.qmp);
    CHECK(std::find(cmd.harmless.begin(), cmd.harmless.end(), "-no-hpet") != cmd.harmless.end());
    CHECK(std::find(cmd.harmless.begin(), cmd.harmless.end(), "-cpu max,la57=off") != cmd.harmless.end());
}

TEST_CASE("unknown options and missing arguments are errors naming the option", "[unit][qemu_args]")
{
    CHECK_THROWS_WITH(parse_qemu_args({"-S"}), Catch::Contains("'-S'"));
    CHECK_THROWS_WITH(parse_qemu_args({"-hda", "x.img"}), Catch::Contains("'-hda'"));
    CHECK_THROWS_WITH(parse_qemu_args({"-m"}), Catch::Contains("'-m' requires an argument"));
    CHECK_THROWS_WITH(parse_qemu_args({"disk.img"}), Catch::Contains("'disk.img'"));
    CHECK(parse_qemu_args({"--m", "512"}).memory == "512");
}
